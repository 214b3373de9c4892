//! The webhook event: its type, its stable id, its body, and how it and its attempts
//! are shown by the API.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::core::ids::hex;
use crate::core::pause::{Pause, Transition};
use crate::core::time::rfc3339;
use crate::core::webhook::status::{AttemptStatus, WebhookStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Responded,
    TimedOut,
    Cancelled,
    /// The message carrying the question failed for good.
    DeliveryFailed,
    /// An approver voted (one event per vote: `nth` is the vote's index).
    VoteRecorded,
    /// An escalation level was reached (`nth` is the level's index).
    Escalated,
}

impl From<Transition> for EventType {
    fn from(t: Transition) -> Self {
        match t {
            Transition::Responded => EventType::Responded,
            Transition::TimedOut => EventType::TimedOut,
            Transition::Cancelled => EventType::Cancelled,
        }
    }
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Responded => "pause.responded",
            EventType::TimedOut => "pause.timed_out",
            EventType::Cancelled => "pause.cancelled",
            EventType::DeliveryFailed => "pause.delivery_failed",
            EventType::VoteRecorded => "pause.vote_recorded",
            EventType::Escalated => "pause.escalated",
        }
    }
}

/// The `webhook-id`: derived from the pause and the event type, so an effect that
/// runs twice enqueues the same event. Most types happen at most once per pause
/// (`nth: None`); one that happens more than once (a vote, a level) is told apart by
/// `nth`.
pub fn event_id(pause_id: &str, t: EventType, nth: Option<u8>) -> String {
    let seed = match nth {
        None => format!("{pause_id}.{}", t.as_str()),
        Some(n) => format!("{pause_id}.{}.{n}", t.as_str()),
    };
    format!("msg_{}", hex(&Sha256::digest(seed.as_bytes())[..12]))
}

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: String,
    data: Value,
}

/// The body: `{"type", "timestamp", "data": the pause as GET returns it}`. The
/// timestamp is when the event happened, not when it is sent. The `nth` event of its
/// type: a `pause.vote_recorded` carries the vote in `data.vote` (the pause in `data`
/// has every vote so far) and happens at its time.
pub fn body(t: EventType, p: &Pause, now: i64, nth: Option<u8>) -> String {
    let vote = match (t, nth) {
        (EventType::VoteRecorded, Some(n)) => p.votes.get(usize::from(n)),
        _ => None,
    };
    let at = match t {
        EventType::DeliveryFailed => p.delivery.updated_at,
        EventType::VoteRecorded => vote.map(|v| v.at),
        EventType::Escalated => nth
            .and_then(|n| p.escalation.get(usize::from(n)))
            .and_then(|l| l.reached_at),
        _ => p.resolved_at(),
    }
    .unwrap_or(now);
    let mut data = p.to_api();
    if let Some(v) = vote {
        data["vote"] = crate::core::policy::view::vote_to_api(v);
    }
    serde_json::to_string(&Envelope {
        kind: t.as_str(),
        timestamp: rfc3339(at),
        data,
    })
    .expect("a JSON value always serialises")
}

/// A row of `webhook_events`.
#[derive(Debug, Clone, Deserialize)]
pub struct EventRow {
    pub id: String,
    pub pause_id: String,
    pub account_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub body: String,
    pub status: WebhookStatus,
    pub failure_reason: Option<String>,
    pub attempts: i64,
    pub round_start: i64,
    pub next_attempt_at: i64,
    pub lease_until: i64,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub dead_lettered_at: Option<i64>,
    /// 1 for a live pause's event, 0 for a test one's: picks the signing secret.
    #[serde(default = "one")]
    pub livemode: i64,
}

fn one() -> i64 {
    1
}

impl EventRow {
    pub fn is_live(&self) -> bool {
        self.livemode != 0
    }
}

/// A row of `webhook_attempts`.
#[derive(Debug, Clone, Deserialize)]
pub struct AttemptRow {
    pub event_id: String,
    pub attempt: i64,
    pub started_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: Option<i64>,
    pub error: Option<String>,
    pub outcome: AttemptStatus,
}

/// The event as the API shows it, with every attempt.
pub fn to_api(e: &EventRow, attempts: &[AttemptRow]) -> Value {
    let ts = |v: Option<i64>| v.map(rfc3339);
    json!({
        "object": "webhook_event",
        "event_id": e.id,
        "pause_id": e.pause_id,
        "type": e.kind,
        "url": e.url,
        "status": e.status,
        "failure_reason": e.failure_reason,
        "attempt_count": e.attempts,
        "next_attempt_at": (e.status == WebhookStatus::Pending).then(|| rfc3339(e.next_attempt_at.max(e.lease_until))),
        "created_at": rfc3339(e.created_at),
        "completed_at": ts(e.completed_at),
        "dead_lettered_at": ts(e.dead_lettered_at),
        "payload": serde_json::from_str::<Value>(&e.body).unwrap_or(Value::Null),
        "attempts": attempts.iter().filter(|a| a.event_id == e.id).map(|a| json!({
            "attempt": a.attempt,
            "started_at": rfc3339(a.started_at),
            "status_code": a.status_code,
            "latency_ms": a.latency_ms,
            "error": a.error,
            "outcome": a.outcome,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pause::tests::sample;

    #[test]
    fn ids_are_stable_per_pause_and_type() {
        let a = event_id("pause_1", EventType::Responded, None);
        assert_eq!(a, event_id("pause_1", EventType::Responded, None));
        assert_ne!(a, event_id("pause_1", EventType::Cancelled, None));
        assert_ne!(a, event_id("pause_2", EventType::Responded, None));
        assert!(a.starts_with("msg_") && a.len() == 28);
    }

    #[test]
    fn body_carries_type_time_and_the_pause() {
        let mut p = sample(None);
        p.respond(1, 2_000, "page").unwrap();
        let b: Value = serde_json::from_str(&body(EventType::Responded, &p, 9_999, None)).unwrap();
        assert_eq!(b["type"], "pause.responded");
        assert_eq!(b["timestamp"], "1970-01-01T00:00:02.000Z");
        assert_eq!(b["data"], p.to_api());
        assert_eq!(b["data"]["response_choice"], "Reject");
        // `type` comes first, as in the specification's examples.
        assert!(body(EventType::Responded, &p, 0, None).starts_with(r#"{"type":"pause.responded""#));
    }

    #[test]
    fn delivery_failed_uses_the_delivery_time() {
        let mut p = sample(None);
        p.delivery.updated_at = Some(3_000);
        let b: Value =
            serde_json::from_str(&body(EventType::DeliveryFailed, &p, 9_999, None)).unwrap();
        assert_eq!(b["type"], "pause.delivery_failed");
        assert_eq!(b["timestamp"], "1970-01-01T00:00:03.000Z");
        assert_eq!(b["data"]["status"], "pending");
    }
}
