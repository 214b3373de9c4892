//! Operator metrics as Workers Analytics Engine data points. Pure: the adapter
//! (`src/metrics.rs`) writes them. One layout for every metric, so one query shape reads
//! them all (docs/operations.md):
//!
//! | field  | holds |
//! |--------|-------|
//! | index1 | the metric (also blob1), the sampling key |
//! | blob1  | the metric: `pause_created`, `pause_answered`, `pause_timed_out`, `pause_cancelled`, `delivery_sent`, `delivery_failed`, `delivery_delivered`, `webhook_attempt`, `webhook_dead_letter`, `rate_limited` |
//! | blob2  | the channel (`sms`, `email`, `slack`, `whatsapp`), empty when none |
//! | blob3  | the detail: provider, answering surface (`page`, `slack`), webhook outcome, `default_fired` |
//! | blob4  | a code: the provider's error code, the webhook's HTTP status (`network` without one) |
//! | blob5  | `live` or `test` |
//! | double1| 1 (count it with `SUM(_sample_interval * double1)`) |
//! | double2| the value: seconds to answer, webhook latency in ms, the delivery attempt |
//!
//! Never a recipient, a message, a link, a key or a URL: only names and codes.

use serde_json::Value;

use super::audit::AuditKind;

/// One data point, ready for `writeDataPoint`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    pub metric: &'static str,
    pub blobs: [String; 5],
    pub doubles: [f64; 2],
}

/// What the pause looked like when the event happened.
#[derive(Debug, Clone, Copy)]
pub struct PauseFacts<'a> {
    pub channel: &'a str,
    pub livemode: bool,
    pub created_at_ms: i64,
}

/// Longest a blob may be: codes and names, never free text.
const MAX_BLOB: usize = 64;

fn point(
    metric: &'static str,
    channel: &str,
    detail: &str,
    code: &str,
    live: Option<bool>,
    value: f64,
) -> DataPoint {
    let clip = |s: &str| s.chars().take(MAX_BLOB).collect::<String>();
    let mode = match live {
        Some(true) => "live",
        Some(false) => "test",
        None => "",
    };
    DataPoint {
        metric,
        blobs: [
            metric.to_string(),
            clip(channel),
            clip(detail),
            clip(code),
            mode.to_string(),
        ],
        doubles: [1.0, value],
    }
}

fn text<'a>(ctx: &'a Value, key: &str) -> &'a str {
    ctx.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A code that is a string or a number in the context (`"21211"` or `21211`).
fn code(ctx: &Value, keys: &[&str]) -> String {
    keys.iter()
        .find_map(|k| match ctx.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The metric an audit event counts as, if any (`page.opened` and the like count nothing).
/// `now_ms` is when it happened, for the time to answer.
pub fn from_audit(
    kind: AuditKind,
    p: PauseFacts<'_>,
    ctx: &Value,
    now_ms: i64,
) -> Option<DataPoint> {
    let live = Some(p.livemode);
    let ch = p.channel;
    Some(match kind {
        AuditKind::PauseCreated => point("pause_created", ch, "", "", live, 0.0),
        AuditKind::PauseResponded => {
            let seconds = now_ms.saturating_sub(p.created_at_ms).max(0) as f64 / 1000.0;
            point("pause_answered", ch, text(ctx, "via"), "", live, seconds)
        }
        AuditKind::PauseTimedOut => {
            let fired = ctx.get("default_fired").is_some_and(|v| !v.is_null());
            let detail = if fired { "default_fired" } else { "no_default" };
            point("pause_timed_out", ch, detail, "", live, 0.0)
        }
        AuditKind::PauseCancelled => point("pause_cancelled", ch, "", "", live, 0.0),
        AuditKind::MessageSent => point(
            "delivery_sent",
            ch,
            text(ctx, "provider"),
            "",
            live,
            attempt(ctx),
        ),
        AuditKind::MessageDelivered => point(
            "delivery_delivered",
            ch,
            text(ctx, "provider"),
            "",
            live,
            0.0,
        ),
        AuditKind::MessageFailed => {
            // A transient failure (retried) has no code of its own.
            let mut c = code(ctx, &["code", "error_code"]);
            if c.is_empty() {
                c = if ctx.get("will_retry") == Some(&Value::Bool(true)) {
                    "transient"
                } else {
                    "unknown"
                }
                .into();
            }
            point(
                "delivery_failed",
                ch,
                text(ctx, "provider"),
                &c,
                live,
                attempt(ctx),
            )
        }
        AuditKind::WebhookAttempted => {
            let outcome = match text(ctx, "outcome") {
                "succeeded" => "succeeded",
                "pending" => "retry",
                "failed" => match text(ctx, "failure_reason") {
                    "attempts_exhausted" => "exhausted",
                    "endpoint_gone" => "gone",
                    _ => "failed",
                },
                _ => "unknown",
            };
            let mut status = code(ctx, &["status_code"]);
            if status.is_empty() {
                status = "network".into();
            }
            let latency = ctx.get("latency_ms").and_then(Value::as_f64).unwrap_or(0.0);
            point("webhook_attempt", ch, outcome, &status, live, latency)
        }
        // No metric: page views, the console's account chain, and policy steps
        // (their outcome shows in the pause's own metric when it ends).
        AuditKind::VoteRecorded
        | AuditKind::PauseEscalated
        | AuditKind::ReminderSent
        | AuditKind::DeliveryFallback
        | AuditKind::PolicyNoAgreement
        | AuditKind::PageOpened
        | AuditKind::AccountCreated
        | AuditKind::MemberSignedIn
        | AuditKind::MemberSignedOut
        | AuditKind::MemberInvited
        | AuditKind::MemberJoined
        | AuditKind::MemberRemoved
        | AuditKind::KeyCreated
        | AuditKind::KeyRotated
        | AuditKind::KeyRevoked
        | AuditKind::WebhookSecretRotated
        | AuditKind::WebhookReplayed => return None,
    })
}

fn attempt(ctx: &Value) -> f64 {
    ctx.get("attempt").and_then(Value::as_f64).unwrap_or(0.0)
}

/// A job that reached the dead-letter queue (`reason`: why the consumer saw it there).
pub fn dead_letter(reason: &str) -> DataPoint {
    point("webhook_dead_letter", "", reason, "", None, 0.0)
}

/// A request refused by the per-key rate limit.
pub fn rate_limited(livemode: bool) -> DataPoint {
    point("rate_limited", "", "", "", Some(livemode), 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SMS_LIVE: PauseFacts<'static> = PauseFacts {
        channel: "sms",
        livemode: true,
        created_at_ms: 1_000_000,
    };

    #[test]
    fn lifecycle_events_count_per_channel_and_mode() {
        let created = from_audit(AuditKind::PauseCreated, SMS_LIVE, &json!({}), 1_000_000).unwrap();
        assert_eq!(created.metric, "pause_created");
        assert_eq!(
            created.blobs,
            ["pause_created", "sms", "", "", "live"].map(String::from)
        );
        assert_eq!(created.doubles, [1.0, 0.0]);
        let test_mode = PauseFacts {
            livemode: false,
            channel: "email",
            ..SMS_LIVE
        };
        let cancelled = from_audit(
            AuditKind::PauseCancelled,
            test_mode,
            &json!({"key_id": "key_1"}),
            0,
        )
        .unwrap();
        assert_eq!(
            cancelled.blobs[1..].to_vec(),
            ["email", "", "", "test"].map(String::from).to_vec()
        );
    }

    #[test]
    fn an_answer_carries_its_surface_and_the_seconds_it_took() {
        let p = from_audit(
            AuditKind::PauseResponded,
            SMS_LIVE,
            &json!({"via": "slack", "choice": "Approve"}),
            1_090_500,
        )
        .unwrap();
        assert_eq!(p.metric, "pause_answered");
        assert_eq!(p.blobs[2], "slack");
        assert_eq!(p.doubles, [1.0, 90.5]);
        // A clock that went backwards never gives a negative time.
        assert_eq!(
            from_audit(AuditKind::PauseResponded, SMS_LIVE, &json!({}), 0)
                .unwrap()
                .doubles[1],
            0.0
        );
    }

    #[test]
    fn timeouts_say_whether_the_default_fired() {
        let fired = from_audit(
            AuditKind::PauseTimedOut,
            SMS_LIVE,
            &json!({"default_fired": "Reject"}),
            0,
        )
        .unwrap();
        assert_eq!(
            (fired.metric, fired.blobs[2].as_str()),
            ("pause_timed_out", "default_fired")
        );
        let none = from_audit(
            AuditKind::PauseTimedOut,
            SMS_LIVE,
            &json!({"default_fired": null}),
            0,
        )
        .unwrap();
        assert_eq!(none.blobs[2], "no_default");
    }

    #[test]
    fn delivery_failures_carry_the_provider_and_its_code() {
        let permanent = json!({"provider": "twilio", "code": "21211", "message": "Invalid 'To' +1312…", "will_retry": false, "attempt": 1});
        let p = from_audit(AuditKind::MessageFailed, SMS_LIVE, &permanent, 0).unwrap();
        assert_eq!(
            p.blobs[..4].to_vec(),
            ["delivery_failed", "sms", "twilio", "21211"]
                .map(String::from)
                .to_vec()
        );
        assert_eq!(p.doubles, [1.0, 1.0]);
        assert!(
            !format!("{p:?}").contains("+1312"),
            "no message text, no recipient"
        );
        let transient = from_audit(
            AuditKind::MessageFailed,
            SMS_LIVE,
            &json!({"provider": "slack", "will_retry": true}),
            0,
        )
        .unwrap();
        assert_eq!(transient.blobs[3], "transient");
        // A provider's status report names its code `error_code`, sometimes a number.
        let report = from_audit(
            AuditKind::MessageFailed,
            SMS_LIVE,
            &json!({"provider": "twilio", "error_code": 30003}),
            0,
        )
        .unwrap();
        assert_eq!(report.blobs[3], "30003");
        assert_eq!(
            from_audit(
                AuditKind::MessageSent,
                SMS_LIVE,
                &json!({"provider": "twilio"}),
                0
            )
            .unwrap()
            .blobs[2],
            "twilio"
        );
    }

    #[test]
    fn webhook_attempts_carry_outcome_status_and_latency_but_never_the_url() {
        let ctx = json!({"url": "https://hooks.example.invalid/secret-path", "status_code": 503, "latency_ms": 120, "outcome": "pending"});
        let p = from_audit(AuditKind::WebhookAttempted, SMS_LIVE, &ctx, 0).unwrap();
        assert_eq!(
            p.blobs[2..4].to_vec(),
            ["retry", "503"].map(String::from).to_vec()
        );
        assert_eq!(p.doubles, [1.0, 120.0]);
        assert!(!format!("{p:?}").contains("secret-path"));
        let exhausted = json!({"status_code": null, "outcome": "failed", "failure_reason": "attempts_exhausted"});
        let e = from_audit(AuditKind::WebhookAttempted, SMS_LIVE, &exhausted, 0).unwrap();
        assert_eq!(
            e.blobs[2..4].to_vec(),
            ["exhausted", "network"].map(String::from).to_vec()
        );
        let ok = from_audit(
            AuditKind::WebhookAttempted,
            SMS_LIVE,
            &json!({"outcome": "succeeded", "status_code": 200}),
            0,
        )
        .unwrap();
        assert_eq!(ok.blobs[2], "succeeded");
    }

    #[test]
    fn other_events_count_nothing_and_blobs_stay_short() {
        assert_eq!(
            from_audit(AuditKind::PageOpened, SMS_LIVE, &json!({}), 0),
            None
        );
        let long = "x".repeat(500);
        let p = from_audit(
            AuditKind::MessageFailed,
            SMS_LIVE,
            &json!({"provider": long, "code": long}),
            0,
        )
        .unwrap();
        assert!(p.blobs.iter().all(|b| b.chars().count() <= MAX_BLOB));
        assert_eq!(dead_letter("dead_lettered").blobs[2], "dead_lettered");
        assert_eq!(rate_limited(false).blobs[4], "test");
    }

    proptest::proptest! {
        #[test]
        fn any_event_and_context_maps_without_panicking(key in proptest::prelude::any::<String>(), val in proptest::prelude::any::<String>(), now in proptest::prelude::any::<i64>()) {
            let ctx = json!({ key: val.clone(), "code": val.clone(), "via": val, "latency_ms": now });
            for k in AuditKind::ALL {
                let Some(p) = from_audit(k, PauseFacts { channel: "sms", livemode: true, created_at_ms: i64::MIN }, &ctx, now) else { continue };
                proptest::prop_assert!(p.blobs.iter().all(|b| b.chars().count() <= MAX_BLOB));
            }
        }
    }
}
