//! The providers' wire formats, pure: request bodies, signatures of their callbacks,
//! and the classification of their answers into `DeliveryOutcome`s.
pub mod email;
pub mod slack;
pub mod twilio;

use subtle::ConstantTimeEq;

/// Constant-time comparison of two signatures (length is not secret).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// `application/x-www-form-urlencoded`, in the given order.
pub fn form(params: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Is an HTTP status worth retrying (rate limited, timeouts, server errors)?
pub fn transient_http(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encodes_like_browsers_do() {
        assert_eq!(
            form(&[("To", "+13128471928"), ("Body", "Pay €5? a&b=c\nok")]),
            "To=%2B13128471928&Body=Pay+%E2%82%AC5%3F+a%26b%3Dc%0Aok"
        );
    }

    #[test]
    fn comparison() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }

    #[test]
    fn which_statuses_retry() {
        assert!(transient_http(503) && transient_http(429) && transient_http(500));
        assert!(!transient_http(400) && !transient_http(401) && !transient_http(404));
    }
}
