//! The wire protocol between the Worker and a pause's Durable Object: one JSON
//! `Command` in, one `Reply` out (see `pause_object::client::call`).

use serde::{Deserialize, Serialize};

use super::audit::{AuditKind, ChainHead};
use super::pause::Pause;

#[derive(Serialize, Deserialize, Debug)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Command {
    Create {
        pause: Box<Pause>,
        /// The creating key, for the audit log's actor.
        #[serde(default)]
        key_id: Option<String>,
    },
    Get {
        wait_ms: u64,
    },
    Respond {
        choice: usize,
        via: String,
        /// Where the answer came from, for the audit log, when known.
        #[serde(default)]
        country: Option<String>,
        #[serde(default)]
        user_agent: Option<String>,
        /// The Slack user who clicked (Slack callbacks only).
        #[serde(default)]
        slack_user: Option<SlackUser>,
        /// The approver whose link or button this is (None: the one recipient).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approver: Option<u8>,
    },
    RespondWithComment(PageAnswer),
    /// `cmd` on behalf of an account in one mode: another account's pause, or one of
    /// the other mode (test keys see only test pauses, live keys only live ones), is
    /// simply not found, before anything waits or changes. One round trip instead of
    /// a check first.
    ForAccount {
        account_id: String,
        livemode: bool,
        cmd: Box<Command>,
    },
    Cancel {
        #[serde(default)]
        key_id: Option<String>,
    },
    /// The response page was opened: recorded as `page.opened` while the pause is
    /// pending, at most once per `link::OPEN_RECORD_INTERVAL_MS`.
    PageOpened {
        context: serde_json::Value,
    },
    /// Appends an event that changes nothing (webhook attempt, ...).
    Record {
        actor: String,
        kind: AuditKind,
        context: serde_json::Value,
    },
    /// A provider's report on the message (Twilio status callback), already verified.
    DeliveryReport {
        provider: String,
        message_id: Option<String>,
        status: String,
        error_code: Option<String>,
        error_message: Option<String>,
    },
}

/// Who clicked a Slack button, as Slack's signed payload says.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(crate) struct SlackUser {
    pub id: String,
    pub name: Option<String>,
}

/// A choice from the response page, with the person's optional comment.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(crate) struct PageAnswer {
    pub choice: usize,
    pub via: String,
    pub comment: Option<String>,
    /// The second tap of a danger option that asks for confirmation.
    pub confirmed: bool,
    /// Where the answer came from, for the audit log, when known.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    /// The approver whose link this is (None: the one recipient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<u8>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// This command changed the pause.
    Changed,
    /// Nothing to change (a read, or a create that already happened).
    Unchanged,
    /// Already final: the reply carries the final state.
    NotPending,
    NoSuchOption,
    /// The comment was refused (not allowed, or too long); nothing changed.
    CommentRefused,
    /// A danger option that must be confirmed first; nothing changed.
    NeedsConfirmation,
    /// This approver voted already; the reply's pause has their vote.
    AlreadyVoted,
    /// Not this approver's turn yet (`ordered`), or their level is not reached.
    NotYourTurn,
    NotFound,
}

#[derive(Serialize, Deserialize, Debug)]
pub(crate) struct Reply {
    pub outcome: Outcome,
    pub pause: Option<Pause>,
    /// The audit chain's head as this object knows it (lets verify catch a cut tail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<ChainHead>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pause::tests::sample;
    use serde_json::json;

    fn round_trip(cmd: &Command) -> Command {
        serde_json::from_str(&serde_json::to_string(cmd).unwrap()).unwrap()
    }

    #[test]
    fn commands_keep_their_wire_format() {
        let cmd = Command::ForAccount {
            account_id: "acct_1".into(),
            livemode: false,
            cmd: Box::new(Command::Get { wait_ms: 5 }),
        };
        let text = serde_json::to_value(&cmd).unwrap();
        assert_eq!(
            text,
            json!({"op": "for_account", "account_id": "acct_1", "livemode": false,
                   "cmd": {"op": "get", "wait_ms": 5}})
        );
        let Command::ForAccount { cmd, .. } = round_trip(&cmd) else {
            panic!("op changed")
        };
        assert!(matches!(*cmd, Command::Get { wait_ms: 5 }));

        let rec = Command::Record {
            actor: "system".into(),
            kind: AuditKind::WebhookAttempted,
            context: json!({"attempt": 1}),
        };
        assert_eq!(
            serde_json::to_value(&rec).unwrap()["kind"],
            "webhook.attempted"
        );
        assert!(matches!(
            round_trip(&rec),
            Command::Record {
                kind: AuditKind::WebhookAttempted,
                ..
            }
        ));

        // Optional fields may be left out by older callers.
        let r: Command =
            serde_json::from_value(json!({"op": "respond", "choice": 1, "via": "page"})).unwrap();
        assert!(matches!(
            r,
            Command::Respond {
                choice: 1,
                slack_user: None,
                country: None,
                ..
            }
        ));
        let a = PageAnswer {
            choice: 0,
            via: "page".into(),
            comment: Some("ok".into()),
            confirmed: true,
            country: None,
            user_agent: Some("ua".into()),
            approver: Some(2),
        };
        let Command::RespondWithComment(b) = round_trip(&Command::RespondWithComment(a)) else {
            panic!("op changed")
        };
        assert_eq!(b.comment.as_deref(), Some("ok"));
        assert_eq!(b.approver, Some(2));
        // A command of a Worker that knows no approvers reads as the one recipient.
        let old: Command =
            serde_json::from_value(json!({"op": "respond", "choice": 0, "via": "page"})).unwrap();
        assert!(matches!(old, Command::Respond { approver: None, .. }));
        let Command::Create { pause, key_id } = round_trip(&Command::Create {
            pause: Box::new(sample(None)),
            key_id: Some("key_1".into()),
        }) else {
            panic!("op changed")
        };
        assert_eq!((*pause, key_id.as_deref()), (sample(None), Some("key_1")));
    }

    #[test]
    fn replies_round_trip() {
        let reply = Reply {
            outcome: Outcome::NeedsConfirmation,
            pause: Some(sample(None)),
            audit_head: Some(ChainHead::default()),
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert!(text.contains("\"outcome\":\"needs_confirmation\""));
        let back: Reply = serde_json::from_str(&text).unwrap();
        assert_eq!(back.outcome, Outcome::NeedsConfirmation);
        assert_eq!(back.pause, Some(sample(None)));
        assert_eq!(back.audit_head, Some(ChainHead::default()));
        // An object that knows no chain head leaves it out.
        let bare: Reply = serde_json::from_str(r#"{"outcome":"not_found","pause":null}"#).unwrap();
        assert_eq!((bare.outcome, bare.audit_head), (Outcome::NotFound, None));
    }
}
