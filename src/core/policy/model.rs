//! The approval-policy model (issue 15): who is asked, how their answers decide, and
//! what the pause keeps while it waits. Shared with the escalation/reminder scheduler
//! and the receipt; every field a stored pause gains is `#[serde(default)]`, so pauses
//! stored before policies existed still load (as the one-recipient case).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::pause::{Channel, Delivery, DeliveryStatus};

/// Most approvers a pause may have, over all escalation levels.
pub const MAX_APPROVERS: usize = 10;
/// Most fallback contacts per approver (besides the primary one).
pub const MAX_FALLBACKS: usize = 3;
/// Most escalation levels.
pub const MAX_LEVELS: usize = 3;
/// Most reminders per pause.
pub const MAX_REMINDERS: usize = 3;
/// Longest display name of an approver, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest action name, in characters.
pub const MAX_ACTION_NAME_CHARS: usize = 100;
/// Largest action, as the bytes of its JSON.
pub const MAX_ACTION_BYTES: usize = 8192;
/// The approver id of a single-recipient pause's vote.
pub const RECIPIENT_ID: &str = "recipient";

/// One way to reach a person: a channel and the recipient in its normal form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub channel: Channel,
    pub recipient: String,
}

/// One send attempt to one contact, kept in order (channel fallback shows here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub channel: Channel,
    pub recipient: String,
    pub status: DeliveryStatus,
    /// Unix ms.
    pub at: i64,
    #[serde(default)]
    pub error_code: Option<String>,
}

/// A person whose vote counts. Index in `Pause::approvers` is their identity in
/// tokens and effects (`u8`: at most [`MAX_APPROVERS`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approver {
    /// `^[a-z0-9_-]{1,32}$`, unique in the pause (default `approver_N`).
    pub id: String,
    /// Shown to the others and in votes.
    #[serde(default)]
    pub name: Option<String>,
    /// The primary contact first, then the fallbacks in order (never empty).
    pub contacts: Vec<Contact>,
    /// Index into `contacts` of the one in use (fallback moves it on).
    #[serde(default)]
    pub contact: u8,
    /// 0 for the approvers of the request; k for escalation level k (1-based).
    #[serde(default)]
    pub level: u8,
    /// When they were first sent the question (None: not asked yet).
    #[serde(default)]
    pub asked_at: Option<i64>,
    /// Their own response link (token v2 carries their index).
    #[serde(default)]
    pub link: String,
    /// The message to the contact in use, like a single-recipient pause's delivery.
    #[serde(default)]
    pub delivery: Delivery,
    /// Every attempt to every contact, in order.
    #[serde(default)]
    pub attempts: Vec<DeliveryAttempt>,
}

impl Approver {
    /// The contact in use (the primary one if the index is out of range).
    pub fn current(&self) -> &Contact {
        self.contacts
            .get(usize::from(self.contact))
            .unwrap_or(&self.contacts[0])
    }

    /// The name shown to others: the display name, else the id.
    pub fn display(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// How votes decide. Stored and shown as `{"type": "quorum", "count": 2, "veto": [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rule {
    /// The first vote decides.
    #[default]
    Any,
    /// Everyone asked so far must choose the same option; a veto option decides at once.
    All {
        #[serde(default)]
        veto: Vec<String>,
    },
    /// `count` votes for one option decide it; a veto option decides at once.
    Quorum {
        count: u8,
        #[serde(default)]
        veto: Vec<String>,
    },
    /// Asked one after another; a non-veto vote asks the next, a veto ends it, the
    /// last approver's vote decides.
    Ordered {
        #[serde(default)]
        veto: Vec<String>,
    },
}

impl Rule {
    pub fn as_str(&self) -> &'static str {
        match self {
            Rule::Any => "any",
            Rule::All { .. } => "all",
            Rule::Quorum { .. } => "quorum",
            Rule::Ordered { .. } => "ordered",
        }
    }

    /// The options that decide at one vote.
    pub fn veto(&self) -> &[String] {
        match self {
            Rule::Any => &[],
            Rule::All { veto } | Rule::Quorum { veto, .. } | Rule::Ordered { veto } => veto,
        }
    }
}

/// One approver's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// The approver's id (`recipient` on a single-recipient pause).
    pub approver: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The option's label.
    pub choice: String,
    #[serde(default)]
    pub comment: Option<String>,
    /// Unix ms.
    pub at: i64,
    /// `page`, `slack`, ...
    pub via: String,
}

/// An escalation level: its approvers (those with `level == k`) are added when the
/// pause is still pending `after_seconds` after it was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationLevel {
    pub after_seconds: u64,
    /// When it was reached (its approvers added); None while not yet.
    #[serde(default)]
    pub reached_at: Option<i64>,
}

/// When reminders go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReminderSchedule {
    /// At these many seconds before the timeout (each < the timeout), at most 3.
    BeforeTimeout { seconds: Vec<u64> },
    /// Every `seconds` after creation, at most `max` times.
    Every { seconds: u64, max: u8 },
}

/// The reminders of a pause and how many went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {
    pub schedule: ReminderSchedule,
    #[serde(default)]
    pub sent: u8,
}

/// The action being approved, bound to the decision (and the receipt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub name: String,
    pub arguments: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_have_the_request_shape() {
        let q = Rule::Quorum {
            count: 2,
            veto: vec!["Reject".into()],
        };
        let text = serde_json::to_string(&q).unwrap();
        assert_eq!(text, r#"{"type":"quorum","count":2,"veto":["Reject"]}"#);
        assert_eq!(serde_json::from_str::<Rule>(&text).unwrap(), q);
        assert_eq!(
            serde_json::from_str::<Rule>(r#"{"type":"all"}"#).unwrap(),
            Rule::All { veto: vec![] }
        );
        assert_eq!(
            serde_json::to_string(&Rule::Any).unwrap(),
            r#"{"type":"any"}"#
        );
        assert_eq!(q.veto(), ["Reject".to_string()]);
        assert_eq!(Rule::Any.veto(), [] as [String; 0]);
        assert_eq!(q.as_str(), "quorum");
    }

    #[test]
    fn an_approver_stored_with_only_the_required_fields_loads() {
        let a: Approver = serde_json::from_str(
            r#"{"id":"dana","contacts":[{"channel":"sms","recipient":"+13128471928"}]}"#,
        )
        .unwrap();
        assert_eq!(a.level, 0);
        assert_eq!(a.asked_at, None);
        assert_eq!(a.delivery.status, DeliveryStatus::Queued);
        assert_eq!(a.current().channel, Channel::Sms);
        assert_eq!(a.display(), "dana");
        let out_of_range = Approver { contact: 9, ..a };
        assert_eq!(out_of_range.current().recipient, "+13128471928");
    }

    #[test]
    fn reminders_round_trip() {
        for s in [
            ReminderSchedule::BeforeTimeout {
                seconds: vec![3600],
            },
            ReminderSchedule::Every {
                seconds: 900,
                max: 3,
            },
        ] {
            let r = Reminders {
                schedule: s,
                sent: 1,
            };
            let text = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Reminders>(&text).unwrap(), r);
        }
    }
}
