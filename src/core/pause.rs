//! The pause and its state machine. A pause is created `pending` and ends in exactly
//! one final state; every transition returns the event it causes so the caller can
//! record state and event together.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::policy::model::{Action, Approver, EscalationLevel, Reminders, Rule, Vote};
use super::time::rfc3339;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
    Slack,
    Whatsapp,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Sms,
        Channel::Email,
        Channel::Slack,
        Channel::Whatsapp,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Slack => "slack",
            Channel::Whatsapp => "whatsapp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Responded,
    TimedOut,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Responded => "responded",
            Status::TimedOut => "timed_out",
            Status::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Status::Pending,
            Status::Responded,
            Status::TimedOut,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Responder {
    Recipient,
    TimeoutDefault,
    /// A multi-approver pause decided by its approvers' votes.
    Approvers,
    /// The votes made agreement impossible; the timeout default (if any) applied.
    NoAgreement,
}

/// Where the message that carries the question is. Stored and shown as these
/// strings (`delivery.status` in the API and in each object's stored pause).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not sent yet.
    #[default]
    Queued,
    /// A provider call that must not be repeated is in flight (written before it).
    Sending,
    /// The last attempt failed transiently; the outbox tries again.
    Retrying,
    /// Handed to the provider.
    Sent,
    /// The provider reports it reached the recipient.
    Delivered,
    /// The provider reports it was read.
    Read,
    /// Will not arrive (refused, undeliverable, or interrupted and not repeated).
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 7] = [
        DeliveryStatus::Queued,
        DeliveryStatus::Sending,
        DeliveryStatus::Retrying,
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Read,
        DeliveryStatus::Failed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// What happened to the message that carries the question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Delivery {
    pub status: DeliveryStatus,
    pub provider: Option<String>,
    pub attempts: u32,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub updated_at: Option<i64>,
    /// The provider's id of the message (Twilio sid, Slack ts, email id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Where the provider put it (Slack's channel id), for updating it later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub id: String,
    pub account_id: String,
    /// Name shown to the person answering ("Acme Payments asks...").
    pub requester_name: String,
    pub livemode: bool,
    pub channel: Channel,
    pub recipient: String,
    pub message: String,
    pub options: Vec<String>,
    pub timeout_default: Option<String>,
    pub webhook_url: Option<String>,
    pub metadata: Option<Value>,
    /// The response link sent to the person.
    pub link: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: Status,
    pub response_choice: Option<String>,
    pub responded_at: Option<i64>,
    pub responded_by: Option<Responder>,
    /// Where the answer came from: `page`, `slack`, `timeout`.
    pub responded_via: Option<String>,
    pub cancelled_at: Option<i64>,
    /// How the page presents the question (context, danger options, comment box).
    #[serde(default)]
    pub answer: AnswerSettings,
    /// The person's optional free-text note sent with the choice.
    #[serde(default)]
    pub response_comment: Option<String>,
    pub delivery: Delivery,
    /// Bumped on every change, so a stale copy never overwrites a newer one.
    pub version: u32,
    // Approval policies (issue 15). All default, so pauses stored before load as the
    // single-recipient case: no approvers, rule `any`.
    /// How the votes decide (`any` for a single-recipient pause).
    #[serde(default)]
    pub rule: Rule,
    /// Empty for a single-recipient pause (`channel`/`recipient`/`link` are the one
    /// person); else every approver of every level, in order (level 0 first). The
    /// top-level `channel`/`recipient`/`delivery` then repeat the first approver's.
    #[serde(default)]
    pub approvers: Vec<Approver>,
    /// Every vote, in the order they were recorded.
    #[serde(default)]
    pub votes: Vec<Vote>,
    /// Escalation levels, in order (level k adds the approvers with `level == k`).
    #[serde(default)]
    pub escalation: Vec<EscalationLevel>,
    #[serde(default)]
    pub reminders: Option<Reminders>,
    /// The action being approved.
    #[serde(default)]
    pub action: Option<Action>,
    /// The signed decision receipt, once the pause has ended (see `core::receipt`).
    #[serde(default)]
    pub receipt: Option<Value>,
}

/// Longest comment a person may send with a choice, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// The request's hints for the response page. All optional; the default is the
/// plain question with one button per option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AnswerSettings {
    /// Background the agent sent with the question, shown under it.
    pub context: Option<String>,
    /// Options that are destructive: styled as such, and confirmed when asked to.
    pub danger: Vec<String>,
    /// A tap on a danger option asks "Are you sure?" before it counts.
    pub confirm_danger: bool,
    /// The page offers a free-text comment with the choice.
    pub allow_comment: bool,
}

/// The event a transition causes; its name is the webhook/audit event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Responded,
    TimedOut,
    Cancelled,
}

impl Transition {
    pub fn event_type(self) -> &'static str {
        match self {
            Transition::Responded => "pause.responded",
            Transition::TimedOut => "pause.timed_out",
            Transition::Cancelled => "pause.cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Already final: every later attempt sees the final state.
    NotPending(Status),
    NoSuchOption,
    /// A comment was sent but the request did not allow one.
    CommentNotAllowed,
    CommentTooLong,
    /// A destructive option the request wants confirmed, tapped once: ask again.
    NeedsConfirmation,
    /// This approver voted already (each votes once).
    AlreadyVoted,
    /// Not (yet) asked: an `ordered` approver before their turn, an escalation level
    /// not reached.
    NotYourTurn,
    /// No approver with this index (a link of another pause's shape).
    NotAnApprover,
}

impl Pause {
    pub fn is_due(&self, now: i64) -> bool {
        self.status == Status::Pending && now >= self.expires_at
    }

    /// Fires the timeout when the deadline has passed: the default option when one
    /// is set (status `responded`, so polling loops waiting for it finish), otherwise
    /// `timed_out`.
    pub fn expire_if_due(&mut self, now: i64) -> Option<Transition> {
        if !self.is_due(now) {
            return None;
        }
        self.version += 1;
        match self.timeout_default.clone() {
            Some(default) => {
                self.status = Status::Responded;
                self.response_choice = Some(default);
                self.responded_at = Some(now);
                self.responded_by = Some(Responder::TimeoutDefault);
                self.responded_via = Some("timeout".into());
                Some(Transition::Responded)
            }
            None => {
                self.status = Status::TimedOut;
                Some(Transition::TimedOut)
            }
        }
    }

    /// The person's choice, by option index. The first call wins.
    pub fn respond(&mut self, choice: usize, now: i64, via: &str) -> Result<Transition, Refusal> {
        self.respond_with_comment(choice, None, true, now, via)
    }

    /// One answer's checks, shared by the one recipient and an approver's vote: the
    /// option exists, the comment (blank counts as none) is allowed and short enough,
    /// and a danger option that needs confirming was confirmed. Gives the option's
    /// label and the trimmed comment; changes nothing.
    pub(crate) fn check_answer<'c>(
        &self,
        choice: usize,
        comment: Option<&'c str>,
        confirmed: bool,
    ) -> Result<(String, Option<&'c str>), Refusal> {
        let label = self
            .options
            .get(choice)
            .ok_or(Refusal::NoSuchOption)?
            .clone();
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = comment {
            if !self.answer.allow_comment {
                return Err(Refusal::CommentNotAllowed);
            }
            if c.chars().count() > MAX_COMMENT_CHARS {
                return Err(Refusal::CommentTooLong);
            }
        }
        if !confirmed && self.needs_confirmation(choice) {
            return Err(Refusal::NeedsConfirmation);
        }
        Ok((label, comment))
    }

    /// The choice with an optional comment (blank counts as none). A refused
    /// comment refuses the whole answer, and so does an unconfirmed tap on a
    /// danger option when the request asks for confirmation: nothing changes.
    pub fn respond_with_comment(
        &mut self,
        choice: usize,
        comment: Option<&str>,
        confirmed: bool,
        now: i64,
        via: &str,
    ) -> Result<Transition, Refusal> {
        if self.status != Status::Pending {
            return Err(Refusal::NotPending(self.status));
        }
        let (label, comment) = self.check_answer(choice, comment, confirmed)?;
        self.response_comment = comment.map(Into::into);
        // The one person's answer is the pause's one vote.
        self.votes.push(super::policy::model::Vote {
            approver: super::policy::model::RECIPIENT_ID.into(),
            name: None,
            choice: label.clone(),
            comment: comment.map(Into::into),
            at: now,
            via: via.into(),
        });
        self.status = Status::Responded;
        self.response_choice = Some(label);
        self.responded_at = Some(now);
        self.responded_by = Some(Responder::Recipient);
        self.responded_via = Some(via.into());
        self.version += 1;
        Ok(Transition::Responded)
    }

    pub fn cancel(&mut self, now: i64) -> Result<Transition, Refusal> {
        if self.status != Status::Pending {
            return Err(Refusal::NotPending(self.status));
        }
        self.status = Status::Cancelled;
        self.cancelled_at = Some(now);
        self.version += 1;
        Ok(Transition::Cancelled)
    }

    /// Whether a tap on this option needs a second, confirming tap.
    pub fn needs_confirmation(&self, choice: usize) -> bool {
        self.answer.confirm_danger
            && self
                .options
                .get(choice)
                .is_some_and(|o| self.answer.danger.contains(o))
    }

    /// When the pause reached its final state, if it has.
    pub fn resolved_at(&self) -> Option<i64> {
        match self.status {
            Status::Pending => None,
            Status::Responded => self.responded_at,
            // Ended without agreement before the deadline: when that happened.
            Status::TimedOut => Some(self.responded_at.unwrap_or(self.expires_at)),
            Status::Cancelled => self.cancelled_at,
        }
    }

    /// The pause as the API returns it.
    pub fn to_api(&self) -> Value {
        let mut v = self.to_api_base();
        if let Some(o) = v.as_object_mut() {
            super::policy::view::extend_api(self, o);
        }
        v
    }

    fn to_api_base(&self) -> Value {
        let ts = |v: Option<i64>| v.map(rfc3339);
        json!({
            "object": "pause",
            "pause_id": self.id,
            "status": self.status.as_str(),
            "livemode": self.livemode,
            "channel": self.channel.as_str(),
            "recipient": self.recipient,
            "message": self.message,
            "options": self.options,
            "timeout_default": self.timeout_default,
            "webhook_url": self.webhook_url,
            "metadata": self.metadata,
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.expires_at),
            "response_choice": self.response_choice,
            "responded_at": ts(self.responded_at),
            "responded_by": self.responded_by,
            "responded_via": self.responded_via,
            "cancelled_at": ts(self.cancelled_at),
            "context": self.answer.context,
            "danger": self.answer.danger,
            "confirm_danger": self.answer.confirm_danger,
            "allow_comment": self.answer.allow_comment,
            "response_comment": self.response_comment,
            "resolved_at": ts(self.resolved_at()),
            // Signed receipts (issue 15, receipt's hook: core::receipt).
            "action_sha256": self.action.as_ref().map(super::receipt::action_hash),
            "receipt": self.receipt,
            "delivery": {
                "status": self.delivery.status,
                "provider": self.delivery.provider,
                "attempts": self.delivery.attempts,
                "error_code": self.delivery.error_code,
                "error_message": self.delivery.error_message,
                "message_id": self.delivery.message_id,
                "updated_at": ts(self.delivery.updated_at),
            },
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample(default: Option<&str>) -> Pause {
        Pause {
            id: "pause_000000000000000000000001".into(),
            account_id: "acct_1".into(),
            requester_name: "Acme".into(),
            livemode: true,
            channel: Channel::Sms,
            recipient: "+13128471928".into(),
            message: "Wire $8,400 to Meridian?".into(),
            options: vec!["Approve".into(), "Reject".into()],
            timeout_default: default.map(Into::into),
            webhook_url: None,
            metadata: None,
            link: "http://x/r/t".into(),
            created_at: 1_000,
            expires_at: 10_000,
            status: Status::Pending,
            response_choice: None,
            responded_at: None,
            responded_by: None,
            responded_via: None,
            cancelled_at: None,
            answer: AnswerSettings::default(),
            response_comment: None,
            delivery: Delivery {
                status: DeliveryStatus::Queued,
                ..Default::default()
            },
            version: 1,
            rule: Rule::Any,
            approvers: vec![],
            votes: vec![],
            escalation: vec![],
            reminders: None,
            action: None,
            receipt: None,
        }
    }

    #[test]
    fn first_response_wins_and_later_ones_see_the_final_state() {
        let mut p = sample(None);
        assert_eq!(p.respond(0, 2_000, "page"), Ok(Transition::Responded));
        assert_eq!(
            p.respond(1, 2_001, "page"),
            Err(Refusal::NotPending(Status::Responded))
        );
        assert_eq!(p.cancel(2_002), Err(Refusal::NotPending(Status::Responded)));
        assert_eq!(p.response_choice.as_deref(), Some("Approve"));
        assert_eq!(p.responded_by, Some(Responder::Recipient));
        assert_eq!(p.version, 2);
        assert_eq!(p.expire_if_due(20_000), None);
    }

    #[test]
    fn unknown_option_changes_nothing() {
        let mut p = sample(None);
        assert_eq!(p.respond(2, 2_000, "page"), Err(Refusal::NoSuchOption));
        assert_eq!(p.status, Status::Pending);
        assert_eq!(p.version, 1);
    }

    #[test]
    fn timeout_with_default_responds_with_it() {
        let mut p = sample(Some("Reject"));
        assert_eq!(p.expire_if_due(9_999), None);
        assert_eq!(p.expire_if_due(10_000), Some(Transition::Responded));
        assert_eq!(p.status, Status::Responded);
        assert_eq!(p.response_choice.as_deref(), Some("Reject"));
        assert_eq!(p.responded_by, Some(Responder::TimeoutDefault));
        assert_eq!(p.to_api()["responded_by"], "timeout_default");
        assert_eq!(p.expire_if_due(10_001), None);
    }

    #[test]
    fn timeout_without_default_is_timed_out() {
        let mut p = sample(None);
        assert_eq!(p.expire_if_due(10_000), Some(Transition::TimedOut));
        assert_eq!(p.status, Status::TimedOut);
        assert_eq!(p.response_choice, None);
        assert_eq!(p.to_api()["status"], "timed_out");
        assert_eq!(
            p.respond(0, 10_001, "page"),
            Err(Refusal::NotPending(Status::TimedOut))
        );
    }

    #[test]
    fn cancel_is_final() {
        let mut p = sample(Some("Reject"));
        assert_eq!(p.cancel(3_000), Ok(Transition::Cancelled));
        assert_eq!(p.expire_if_due(10_000), None);
        assert_eq!(
            p.respond(0, 3_001, "page"),
            Err(Refusal::NotPending(Status::Cancelled))
        );
        assert_eq!(p.to_api()["cancelled_at"], "1970-01-01T00:00:03.000Z");
    }

    #[test]
    fn a_comment_is_kept_only_when_allowed_and_short_enough() {
        let mut p = sample(None);
        assert_eq!(
            p.respond_with_comment(0, Some("ok"), true, 2_000, "page"),
            Err(Refusal::CommentNotAllowed)
        );
        assert_eq!((p.status, p.version), (Status::Pending, 1));
        p.answer.allow_comment = true;
        let long = "x".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            p.respond_with_comment(0, Some(&long), true, 2_000, "page"),
            Err(Refusal::CommentTooLong)
        );
        assert_eq!(p.status, Status::Pending);
        assert_eq!(
            p.respond_with_comment(1, Some("  Call me first.  "), true, 2_000, "page"),
            Ok(Transition::Responded)
        );
        assert_eq!(p.response_comment.as_deref(), Some("Call me first."));
        assert_eq!(p.to_api()["response_comment"], "Call me first.");
        assert_eq!(p.to_api()["response_choice"], "Reject");
    }

    #[test]
    fn a_blank_comment_is_no_comment_even_when_not_allowed() {
        let mut p = sample(None);
        assert_eq!(
            p.respond_with_comment(0, Some("   "), true, 2_000, "page"),
            Ok(Transition::Responded)
        );
        assert_eq!(p.response_comment, None);
    }

    #[test]
    fn only_danger_options_need_confirmation_and_only_when_asked() {
        let mut p = sample(None);
        p.answer.danger = vec!["Reject".into()];
        assert!(!p.needs_confirmation(1));
        p.answer.confirm_danger = true;
        assert!(p.needs_confirmation(1));
        assert!(!p.needs_confirmation(0));
        assert!(!p.needs_confirmation(7));
        assert_eq!(
            p.respond_with_comment(1, None, false, 2_000, "page"),
            Err(Refusal::NeedsConfirmation)
        );
        assert_eq!((p.status, p.version), (Status::Pending, 1));
        assert_eq!(
            p.respond_with_comment(0, None, false, 2_000, "page"),
            Ok(Transition::Responded)
        );
        let mut q = sample(None);
        q.answer = p.answer.clone();
        assert_eq!(
            q.respond_with_comment(1, None, true, 2_000, "page"),
            Ok(Transition::Responded)
        );
        assert_eq!(q.response_choice.as_deref(), Some("Reject"));
    }

    #[test]
    fn a_pause_stored_before_policies_loads_as_the_one_recipient_case() {
        let p = sample(Some("Reject"));
        let mut stored = serde_json::to_value(&p).unwrap();
        for k in [
            "rule",
            "approvers",
            "votes",
            "escalation",
            "reminders",
            "action",
            "receipt",
        ] {
            stored.as_object_mut().unwrap().remove(k).unwrap();
        }
        let back: Pause = serde_json::from_value(stored).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.rule, Rule::Any);
        assert!(back.approvers.is_empty());
    }

    #[test]
    fn delivery_status_strings_round_trip() {
        for d in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(d.as_str()), Some(d));
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(json, format!("\"{}\"", d.as_str()));
            assert_eq!(serde_json::from_str::<DeliveryStatus>(&json).unwrap(), d);
        }
        assert_eq!(DeliveryStatus::parse("Sent"), None);
        assert_eq!(DeliveryStatus::default(), DeliveryStatus::Queued);
    }
}
