//! The filters of a pause listing, from their text form (the query string of
//! `GET /v1/pauses`, or the MCP `list_pauses` arguments).

use crate::core::error::ApiError;
use crate::core::pause::{Channel, Status};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<Status>,
    /// Only pauses sent on this channel (the console's filter; not a REST parameter yet).
    pub channel: Option<Channel>,
    pub limit: u32,
    /// Checked against the account's pauses by the service (it must be a page's end).
    pub cursor: Option<String>,
}

impl ListQuery {
    pub fn parse(
        status: Option<&str>,
        limit: Option<&str>,
        cursor: Option<String>,
    ) -> Result<Self, ApiError> {
        let status = match status {
            None => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    format!(
                        "`{s}` is not a status: use pending, responded, timed_out or cancelled."
                    ),
                )
            })?),
        };
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| {
                    ApiError::invalid("limit", "`limit` must be a whole number from 1 to 100.")
                })?,
        };
        Ok(ListQuery {
            status,
            channel: None,
            limit,
            cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn defaults_and_bounds() {
        let q = ListQuery::parse(None, None, None).unwrap();
        assert_eq!((q.status, q.limit, q.cursor), (None, 20, None));
        let q = ListQuery::parse(Some("timed_out"), Some("100"), Some("c".into())).unwrap();
        assert_eq!(q.status, Some(Status::TimedOut));
        assert_eq!(q.limit, 100);
        for (status, limit, param) in [
            (Some("done"), None, "status"),
            (Some("Pending"), None, "status"),
            (None, Some("0"), "limit"),
            (None, Some("101"), "limit"),
            (None, Some("2.0"), "limit"),
            (None, Some(" 5"), "limit"),
            (None, Some(""), "limit"),
        ] {
            let e = ListQuery::parse(status, limit, None).unwrap_err();
            assert_eq!((e.code(), e.param()), ("parameter_invalid", Some(param)));
        }
    }

    proptest! {
        #[test]
        fn parsing_is_total_and_keeps_the_limit_in_bounds(status in any::<String>(), limit in any::<String>()) {
            if let Ok(q) = ListQuery::parse(Some(&status), Some(&limit), None) {
                prop_assert!((1..=MAX_LIMIT).contains(&q.limit));
                prop_assert_eq!(q.status.map(Status::as_str), Some(status.as_str()));
            }
        }
    }
}
