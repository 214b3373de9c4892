//! The policy fields of the pause as the API (and webhooks) show it.

use serde_json::{json, Map, Value};

use super::model::{Approver, ReminderSchedule, Vote, RECIPIENT_ID};
use crate::core::pause::{Pause, Responder};
use crate::core::time::rfc3339;

pub fn vote_to_api(v: &Vote) -> Value {
    json!({
        "approver": v.approver, "name": v.name, "choice": v.choice,
        "comment": v.comment, "at": rfc3339(v.at), "via": v.via,
    })
}

fn approver_to_api(p: &Pause, a: &Approver) -> Value {
    let c = a.current();
    let d = &a.delivery;
    let history: Vec<Value> = a
        .attempts
        .iter()
        .map(|t| {
            json!({
                "channel": t.channel.as_str(), "recipient": t.recipient, "status": t.status,
                "at": rfc3339(t.at), "error_code": t.error_code,
            })
        })
        .collect();
    json!({
        "id": a.id, "name": a.name, "channel": c.channel.as_str(), "recipient": c.recipient,
        "level": a.level, "asked_at": a.asked_at.map(rfc3339),
        "voted": p.votes.iter().any(|v| v.approver == a.id),
        "delivery": {
            "status": d.status, "provider": d.provider, "error_code": d.error_code,
            "error_message": d.error_message, "message_id": d.message_id,
            "updated_at": d.updated_at.map(rfc3339), "attempts": d.attempts,
            // Every send to this approver, fallbacks included (`attempts` counts them,
            // as it does in the top-level delivery).
            "history": history,
        },
    })
}

/// The votes as shown: a single-recipient pause answered before votes were kept
/// shows its answer as the one vote.
fn votes(p: &Pause) -> Vec<Value> {
    if p.votes.is_empty() && p.approvers.is_empty() && p.responded_by == Some(Responder::Recipient)
    {
        let v = Vote {
            approver: RECIPIENT_ID.into(),
            name: None,
            choice: p.response_choice.clone().unwrap_or_default(),
            comment: p.response_comment.clone(),
            at: p.responded_at.unwrap_or(p.created_at),
            via: p.responded_via.clone().unwrap_or_default(),
        };
        return vec![vote_to_api(&v)];
    }
    p.votes.iter().map(vote_to_api).collect()
}

/// Adds `rule`, `action`, `votes`, `receipt` (every pause) and `approvers`,
/// `escalation`, `reminders` (multi-approver pauses) to the pause's API object.
pub fn extend_api(p: &Pause, out: &mut Map<String, Value>) {
    out.insert("rule".into(), json!(p.rule));
    out.insert("action".into(), json!(p.action));
    out.insert("votes".into(), Value::Array(votes(p)));
    out.insert("receipt".into(), json!(p.receipt));
    if p.approvers.is_empty() {
        return;
    }
    let approvers: Vec<Value> = p.approvers.iter().map(|a| approver_to_api(p, a)).collect();
    out.insert("approvers".into(), Value::Array(approvers));
    let levels: Vec<Value> = p
        .escalation
        .iter()
        .map(|l| json!({"after_seconds": l.after_seconds, "reached_at": l.reached_at.map(rfc3339)}))
        .collect();
    out.insert("escalation".into(), Value::Array(levels));
    let reminders = p.reminders.as_ref().map(|r| {
        let mut v = match &r.schedule {
            ReminderSchedule::BeforeTimeout { seconds } => {
                json!({"before_timeout_seconds": seconds})
            }
            ReminderSchedule::Every { seconds, max } => {
                json!({"every_seconds": seconds, "max": max})
            }
        };
        v["sent"] = json!(r.sent);
        v["next_at"] = json!(super::tick::next_reminder_at(p).map(rfc3339));
        v
    });
    out.insert("reminders".into(), json!(reminders));
}
