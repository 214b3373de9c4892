//! What an account and a mode may hold and do: the two modes are separate worlds
//! (Stripe's model), keys and signing secrets are bounded, rotations are rate-limited.

use super::error::ApiError;
use super::keys::KeyMode;

/// Active API keys an account may hold (both modes together; rotation counts).
pub(crate) const MAX_ACTIVE_KEYS: u32 = 20;
/// Webhook signing secrets active at once per mode: the newest and the one in its
/// grace period. A rotation while two are active ends the older one at once.
pub(crate) const MAX_ACTIVE_SECRETS: usize = 2;
/// Rotations of a mode's webhook secret allowed per account within the window.
pub(crate) const ROTATIONS_PER_WINDOW: usize = 5;
pub(crate) const ROTATION_WINDOW_MS: i64 = 3_600_000;

impl KeyMode {
    pub(crate) fn is_live(self) -> bool {
        self == KeyMode::Live
    }
}

/// A pause exists for a caller only in the caller's own mode: a test key never sees a
/// live pause and a live key never sees a test one.
pub(crate) fn visible(pause_livemode: bool, caller: KeyMode) -> bool {
    pause_livemode == caller.is_live()
}

/// Which mode's secret a rotation changes: the caller's, unless it asks for another.
/// A live key may rotate either (it manages the account, like keys); a test key only
/// the test secret.
pub(crate) fn rotation_mode(caller: KeyMode, asked: Option<KeyMode>) -> Result<KeyMode, ApiError> {
    match (caller, asked) {
        (KeyMode::Test, Some(KeyMode::Live)) => Err(ApiError::Forbidden(
            "A test key (pp_test_...) cannot rotate the live webhook signing secret: use a live key (pp_live_...). A test key rotates the test-mode secret."
                .into(),
        )),
        (_, Some(m)) => Ok(m),
        (c, None) => Ok(c),
    }
}

/// How long until another rotation is allowed, given when the recent rotations of
/// this account and mode happened (any order); `None` when one is allowed now.
pub(crate) fn rotation_wait_seconds(recent: &[i64], now: i64) -> Option<u32> {
    let mut inside: Vec<i64> = recent
        .iter()
        .copied()
        .filter(|t| *t <= now && now.saturating_sub(*t) < ROTATION_WINDOW_MS)
        .collect();
    if inside.len() < ROTATIONS_PER_WINDOW {
        return None;
    }
    // Newest first: a slot frees when the oldest of the newest N leaves the window.
    inside.sort_unstable_by(|a, b| b.cmp(a));
    let freeing = inside[ROTATIONS_PER_WINDOW - 1];
    // freeing is in (now - window, now], so this lies in [0, window): no overflow.
    let wait_ms = freeing
        .saturating_add(ROTATION_WINDOW_MS)
        .saturating_sub(now);
    Some(((wait_ms + 999) / 1000).clamp(1, ROTATION_WINDOW_MS / 1000) as u32)
}

/// The rotation limit as the error the client sees.
pub(crate) fn rotation_limited(retry_after_seconds: u32) -> ApiError {
    ApiError::Throttled {
        retry_after_seconds,
        message: format!(
            "The webhook signing secret can be rotated at most {ROTATIONS_PER_WINDOW} times an hour per mode. Retry after {retry_after_seconds} seconds."
        ),
    }
}

/// The account-wide request limit (all its keys together) as the error the client sees.
pub(crate) fn account_limited(retry_after_seconds: u32) -> ApiError {
    ApiError::Throttled {
        retry_after_seconds,
        message: format!(
            "Too many requests for this account (all its API keys together). Retry after {retry_after_seconds} seconds."
        ),
    }
}

/// The secrets that sign, newest first: at most `MAX_ACTIVE_SECRETS`, whatever the
/// table holds (a race or an older version may have left more active).
pub(crate) fn signing_set(mut active_newest_first: Vec<String>) -> Vec<String> {
    active_newest_first.truncate(MAX_ACTIVE_SECRETS);
    active_newest_first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_separate_worlds() {
        assert!(visible(true, KeyMode::Live));
        assert!(visible(false, KeyMode::Test));
        assert!(!visible(true, KeyMode::Test));
        assert!(!visible(false, KeyMode::Live));
    }

    #[test]
    fn a_test_key_cannot_rotate_the_live_secret() {
        assert_eq!(rotation_mode(KeyMode::Test, None), Ok(KeyMode::Test));
        assert_eq!(
            rotation_mode(KeyMode::Test, Some(KeyMode::Test)),
            Ok(KeyMode::Test)
        );
        let e = rotation_mode(KeyMode::Test, Some(KeyMode::Live)).unwrap_err();
        assert_eq!((e.status(), e.code()), (403, "forbidden"));
        assert!(e.message().contains("live key"));
        assert_eq!(rotation_mode(KeyMode::Live, None), Ok(KeyMode::Live));
        assert_eq!(
            rotation_mode(KeyMode::Live, Some(KeyMode::Test)),
            Ok(KeyMode::Test)
        );
    }

    #[test]
    fn rotations_are_limited_per_window() {
        let now = 10 * ROTATION_WINDOW_MS;
        assert_eq!(rotation_wait_seconds(&[], now), None);
        let four: Vec<i64> = (0..4).map(|i| now - i * 60_000).collect();
        assert_eq!(rotation_wait_seconds(&four, now), None);
        // Five in the last hour, the oldest 40 minutes ago: it leaves in 20 minutes.
        let five = [now, now - 1000, now - 2000, now - 3000, now - 40 * 60_000];
        assert_eq!(rotation_wait_seconds(&five, now), Some(20 * 60));
        // Rotations older than the window do not count.
        let old = [now - ROTATION_WINDOW_MS, now - ROTATION_WINDOW_MS - 1];
        let mut mixed = four.clone();
        mixed.extend_from_slice(&old);
        assert_eq!(rotation_wait_seconds(&mixed, now), None);
        // Seven inside: the wait is until the fifth newest leaves.
        let seven: Vec<i64> = (0..7).map(|i| now - i * 600_000).collect();
        assert_eq!(rotation_wait_seconds(&seven, now), Some(3600 - 4 * 600));
        // Never zero, never longer than the window.
        let at_edge = [now; 5];
        assert_eq!(rotation_wait_seconds(&at_edge, now), Some(3600));
        let e = rotation_limited(42);
        assert_eq!((e.status(), e.code()), (429, "rate_limited"));
        assert!(e.message().contains("42 seconds"));
    }

    proptest::proptest! {
        /// Total over any timestamps (they come from storage, but a bad row must not
        /// panic): a wait is 1 s to an hour, and only when the window is full.
        #[test]
        fn rotation_wait_is_total(recent in proptest::collection::vec(proptest::num::i64::ANY, 0..12),
                                  now in proptest::num::i64::ANY) {
            let inside = recent.iter().filter(|t| **t <= now && now.saturating_sub(**t) < ROTATION_WINDOW_MS).count();
            match rotation_wait_seconds(&recent, now) {
                None => proptest::prop_assert!(inside < ROTATIONS_PER_WINDOW),
                Some(w) => {
                    proptest::prop_assert!(inside >= ROTATIONS_PER_WINDOW);
                    proptest::prop_assert!((1..=3600).contains(&w));
                }
            }
        }
    }

    #[test]
    fn at_most_two_secrets_sign() {
        let s = |n: &str| n.to_string();
        assert_eq!(
            signing_set(vec![s("c"), s("b"), s("a")]),
            vec![s("c"), s("b")]
        );
        assert_eq!(signing_set(vec![s("a")]), vec![s("a")]);
        assert!(signing_set(vec![]).is_empty());
    }

    #[test]
    fn account_limit_names_the_account() {
        let e = account_limited(60);
        assert_eq!((e.status(), e.code()), (429, "rate_limited"));
        assert!(e.message().contains("account"));
    }
}
