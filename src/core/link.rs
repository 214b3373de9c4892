//! What a response link may still do, decided from its claims and the clock: open the
//! page, or answer "expired" without touching anything; and whether an opening is worth
//! an audit row. Pure, so the rules are unit-tested natively.

use std::net::{IpAddr, Ipv6Addr};

use super::pause::Status;
use super::token::Claims;

/// After the link's expiry the page still shows the final state for this long (a
/// person who taps a little late sees what happened); then the link is dead.
pub const GRACE_SECONDS: i64 = 3_600;

/// `page.opened` is recorded at most once per pause per this many milliseconds.
pub const OPEN_RECORD_INTERVAL_MS: i64 = 10 * 60 * 1_000;

/// Seconds a client is told to wait when `/r/*` is rate-limited (the limiter's period).
pub const RATE_LIMIT_RETRY_AFTER_SECONDS: u32 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Before the expiry, or within the grace period after it.
    Usable,
    /// Past expiry and grace: answer the expired page and read nothing.
    Expired,
}

pub fn state(claims: &Claims, now_ms: i64) -> LinkState {
    let dead_from_ms = (i64::from(claims.expires_at) + GRACE_SECONDS).saturating_mul(1_000);
    if now_ms >= dead_from_ms {
        LinkState::Expired
    } else {
        LinkState::Usable
    }
}

/// Whether opening the page now adds a `page.opened` row: only while the pause is
/// pending, and not within the interval after the last one recorded.
pub fn record_open(status: Status, last_recorded_ms: Option<i64>, now_ms: i64) -> bool {
    status == Status::Pending
        && last_recorded_ms
            .is_none_or(|last| now_ms.saturating_sub(last) >= OPEN_RECORD_INTERVAL_MS)
}

/// The rate-limiter key of a page visitor: the address Cloudflare saw
/// (`CF-Connecting-IP`, which the edge sets itself), else one shared bucket. An IPv6
/// client counts by its /64 (one subscriber holds a whole /64 and can rotate the low
/// bits at will), in its canonical spelling; an IPv4-mapped address is its IPv4 one.
pub fn client_key(connecting_ip: Option<&str>) -> String {
    let ip = connecting_ip
        .map(str::trim)
        .filter(|ip| ip.len() <= 64)
        .and_then(|ip| ip.parse::<IpAddr>().ok());
    let bucket = match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
        None => "unknown".to_string(),
    };
    format!("page:{bucket}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::PauseId;

    fn claims(expires_at: u32) -> Claims {
        Claims {
            pause_id: PauseId([1; 12]),
            expires_at,
            approver: None,
        }
    }

    #[test]
    fn a_link_works_until_expiry_plus_grace_then_is_expired() {
        let c = claims(1_800_000_000);
        let exp_ms = 1_800_000_000_i64 * 1_000;
        assert_eq!(state(&c, exp_ms - 1), LinkState::Usable);
        assert_eq!(
            state(&c, exp_ms + 1),
            LinkState::Usable,
            "grace shows the final state"
        );
        let dead = exp_ms + GRACE_SECONDS * 1_000;
        assert_eq!(state(&c, dead - 1), LinkState::Usable);
        assert_eq!(state(&c, dead), LinkState::Expired);
        assert_eq!(state(&c, i64::MAX), LinkState::Expired);
        assert_eq!(state(&claims(0), 0), LinkState::Usable);
        assert_eq!(state(&claims(u32::MAX), i64::MAX - 1), LinkState::Expired);
    }

    #[test]
    fn openings_are_recorded_once_per_interval_and_never_after_final() {
        let t = 1_000_000;
        assert!(record_open(Status::Pending, None, t));
        assert!(!record_open(Status::Pending, Some(t), t));
        assert!(!record_open(
            Status::Pending,
            Some(t),
            t + OPEN_RECORD_INTERVAL_MS - 1
        ));
        assert!(record_open(
            Status::Pending,
            Some(t),
            t + OPEN_RECORD_INTERVAL_MS
        ));
        // A clock that went backwards records nothing rather than flooding.
        assert!(!record_open(Status::Pending, Some(t), t - 5));
        assert!(!record_open(Status::Pending, Some(i64::MAX), i64::MIN));
        for s in [Status::Responded, Status::TimedOut, Status::Cancelled] {
            assert!(!record_open(s, None, t));
            assert!(!record_open(s, Some(0), t));
        }
    }

    #[test]
    fn client_keys_take_only_address_characters() {
        assert_eq!(client_key(Some("203.0.113.9")), "page:203.0.113.9");
        assert_eq!(client_key(Some(" 2001:db8::1 ")), "page:2001:db8::/64");
        assert_eq!(client_key(None), "page:unknown");
        assert_eq!(client_key(Some("")), "page:unknown");
        assert_eq!(client_key(Some("é;drop")), "page:unknown");
        assert_eq!(client_key(Some(&"1".repeat(65))), "page:unknown");
    }

    #[test]
    fn an_ipv6_client_is_one_bucket_per_64_whatever_the_spelling() {
        // One subscriber holds a whole /64: rotating the low bits must not buy new
        // allowances, nor may spelling one address differently.
        let a = client_key(Some("2001:db8:1:2::1"));
        assert_eq!(a, client_key(Some("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assert_eq!(a, client_key(Some("2001:0DB8:0001:0002:0:0:0:9")));
        assert_ne!(a, client_key(Some("2001:db8:1:3::1")));
        // IPv4 addresses stay one bucket each; an IPv4-mapped one is that IPv4 address.
        assert_ne!(
            client_key(Some("203.0.113.9")),
            client_key(Some("203.0.113.10"))
        );
        assert_eq!(
            client_key(Some("::ffff:203.0.113.9")),
            client_key(Some("203.0.113.9"))
        );
    }

    proptest::proptest! {
        #[test]
        fn client_keys_are_total_and_bounded(s in proptest::prelude::any::<String>()) {
            let k = client_key(Some(&s));
            proptest::prop_assert!(k.starts_with("page:") && k.len() <= 5 + 64);
        }

        #[test]
        fn link_state_is_total(exp in proptest::prelude::any::<u32>(), now in proptest::prelude::any::<i64>()) {
            let _ = state(&claims(exp), now);
            let _ = record_open(Status::Pending, Some(now), exp as i64);
        }
    }
}
