//! `POST /admin/accounts`: `{"name": ..., "plan": ...}`.

use serde_json::Value;

use super::fields::{parse_object, reject_unknown};
use crate::core::error::ApiError;
use crate::core::plans::Plan;

pub const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Trimmed, 1 to 80 characters.
    pub name: String,
    /// Free unless named.
    pub plan: Plan,
}

impl NewAccount {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = parse_object(body)?;
        reject_unknown(&obj, &["name", "plan"])?;
        let name = match obj.get("name") {
            Some(Value::String(s))
                if !s.trim().is_empty() && s.trim().chars().count() <= MAX_NAME_CHARS =>
            {
                s.trim().to_string()
            }
            None => return Err(ApiError::missing("name")),
            _ => {
                return Err(ApiError::invalid(
                    "name",
                    "`name` must be a non-empty string of at most 80 characters.",
                ))
            }
        };
        let plan = match obj.get("plan") {
            None => Plan::Free,
            Some(Value::String(p)) => Plan::parse(p).ok_or_else(bad_plan)?,
            Some(_) => return Err(bad_plan()),
        };
        Ok(NewAccount { name, plan })
    }
}

fn bad_plan() -> ApiError {
    ApiError::invalid("plan", "`plan` must be free, pro, scale or enterprise.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn name_and_plan() {
        let a = NewAccount::parse(br#"{"name":"  Acme  "}"#).unwrap();
        assert_eq!((a.name.as_str(), a.plan), ("Acme", Plan::Free));
        let a = NewAccount::parse(br#"{"name":"Acme","plan":"scale"}"#).unwrap();
        assert_eq!(a.plan, Plan::Scale);
        assert!(
            NewAccount::parse(format!(r#"{{"name":"{}"}}"#, "é".repeat(80)).as_bytes()).is_ok()
        );
        for (body, code, param) in [
            (r#"{}"#, "parameter_missing", Some("name")),
            (r#"{"name":"   "}"#, "parameter_invalid", Some("name")),
            (r#"{"name":null}"#, "parameter_invalid", Some("name")),
            (r#"{"name":7}"#, "parameter_invalid", Some("name")),
            (
                r#"{"name":"A","plan":"gold"}"#,
                "parameter_invalid",
                Some("plan"),
            ),
            (
                r#"{"name":"A","plan":null}"#,
                "parameter_invalid",
                Some("plan"),
            ),
            (
                r#"{"name":"A","plna":"pro"}"#,
                "parameter_unknown",
                Some("plna"),
            ),
            ("", "invalid_json", None),
        ] {
            let e = NewAccount::parse(body.as_bytes()).unwrap_err();
            assert_eq!((e.code(), e.param()), (code, param), "{body}");
        }
        let long = format!(r#"{{"name":"{}"}}"#, "x".repeat(81));
        assert!(NewAccount::parse(long.as_bytes()).is_err());
    }

    proptest! {
        #[test]
        fn parsing_is_total(name in any::<String>(), plan in any::<String>(), bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = NewAccount::parse(&bytes);
            let body = serde_json::json!({ "name": name, "plan": plan }).to_string();
            if let Ok(a) = NewAccount::parse(body.as_bytes()) {
                prop_assert_eq!(a.name.as_str(), name.trim());
                prop_assert_eq!(a.plan.as_str(), plan.as_str());
            }
        }
    }
}
