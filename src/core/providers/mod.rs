//! The providers' wire formats, pure: request bodies, signatures of their callbacks,
//! and the classification of their answers into `DeliveryOutcome`s.
pub mod email;
pub mod slack;
pub mod twilio;

use super::delivery::DeliveryOutcome;

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

/// A provider's error answer: retried when the status is transient, recorded as a
/// permanent failure with the provider's code otherwise.
pub fn http_failure(provider: &str, status: u16, code: String, message: String) -> DeliveryOutcome {
    if transient_http(status) {
        DeliveryOutcome::Transient {
            provider: provider.into(),
            message: format!("{code}: {message}"),
        }
    } else {
        DeliveryOutcome::Permanent {
            provider: provider.into(),
            code,
            message,
        }
    }
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
    fn failures_split_by_status() {
        assert!(http_failure("x", 503, "c".into(), "m".into()).is_transient());
        assert_eq!(
            http_failure("x", 400, "21211".into(), "m".into()),
            DeliveryOutcome::Permanent {
                provider: "x".into(),
                code: "21211".into(),
                message: "m".into()
            }
        );
    }

    #[test]
    fn which_statuses_retry() {
        assert!(transient_http(503) && transient_http(429) && transient_http(500));
        assert!(!transient_http(400) && !transient_http(401) && !transient_http(404));
    }
}
