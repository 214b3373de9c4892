//! The audit log's pure parts: event rows, the per-pause SHA-256 hash chain over a
//! canonical serialisation, its verification, list filters and CSV export lines.
//!
//! Canonical form of a row (what `hash` is the SHA-256 of, as lowercase hex): these
//! ten fields joined with a single `\n`, UTF-8, no trailing newline:
//! `pausepoint-audit-v1`, seq (decimal), event_id, pause_id, account_id, at (Unix
//! milliseconds, decimal), actor, type, context (the JSON text exactly as stored),
//! prev_hash. The first event of a pause has seq 1 and prev_hash [`GENESIS`]. No field
//! but context can hold a newline, and compact JSON never does, so it is unambiguous.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::ids::hex;
use super::time::{parse_rfc3339, rfc3339};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const DOMAIN: &str = "pausepoint-audit-v1";

/// Event types recorded today. Stored in D1 and hashed as these strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditKind {
    #[serde(rename = "pause.created")]
    PauseCreated,
    #[serde(rename = "message.sent")]
    MessageSent,
    #[serde(rename = "message.delivered")]
    MessageDelivered,
    #[serde(rename = "message.failed")]
    MessageFailed,
    #[serde(rename = "page.opened")]
    PageOpened,
    #[serde(rename = "pause.responded")]
    PauseResponded,
    #[serde(rename = "pause.timed_out")]
    PauseTimedOut,
    #[serde(rename = "pause.cancelled")]
    PauseCancelled,
    #[serde(rename = "webhook.attempted")]
    WebhookAttempted,
    // Console actions on the account: their chain is keyed by the account id where a
    // pause id goes (see `console::audit`).
    #[serde(rename = "account.created")]
    AccountCreated,
    #[serde(rename = "member.signed_in")]
    MemberSignedIn,
    #[serde(rename = "member.signed_out")]
    MemberSignedOut,
    #[serde(rename = "member.invited")]
    MemberInvited,
    #[serde(rename = "member.joined")]
    MemberJoined,
    #[serde(rename = "member.removed")]
    MemberRemoved,
    // Console actions on keys, secrets and webhooks (also on the account's chain).
    #[serde(rename = "key.created")]
    KeyCreated,
    #[serde(rename = "key.rotated")]
    KeyRotated,
    #[serde(rename = "key.revoked")]
    KeyRevoked,
    #[serde(rename = "webhook_secret.rotated")]
    WebhookSecretRotated,
    #[serde(rename = "webhook.replayed")]
    WebhookReplayed,
    // Approval policies (issue 15).
    #[serde(rename = "vote.recorded")]
    VoteRecorded,
    #[serde(rename = "pause.escalated")]
    PauseEscalated,
    #[serde(rename = "reminder.sent")]
    ReminderSent,
    #[serde(rename = "delivery.fallback")]
    DeliveryFallback,
    #[serde(rename = "policy.no_agreement")]
    PolicyNoAgreement,
}

impl AuditKind {
    pub const ALL: [AuditKind; 25] = [
        AuditKind::PauseCreated,
        AuditKind::MessageSent,
        AuditKind::MessageDelivered,
        AuditKind::MessageFailed,
        AuditKind::PageOpened,
        AuditKind::PauseResponded,
        AuditKind::PauseTimedOut,
        AuditKind::PauseCancelled,
        AuditKind::WebhookAttempted,
        AuditKind::AccountCreated,
        AuditKind::MemberSignedIn,
        AuditKind::MemberSignedOut,
        AuditKind::MemberInvited,
        AuditKind::MemberJoined,
        AuditKind::MemberRemoved,
        AuditKind::KeyCreated,
        AuditKind::KeyRotated,
        AuditKind::KeyRevoked,
        AuditKind::WebhookSecretRotated,
        AuditKind::WebhookReplayed,
        AuditKind::VoteRecorded,
        AuditKind::PauseEscalated,
        AuditKind::ReminderSent,
        AuditKind::DeliveryFallback,
        AuditKind::PolicyNoAgreement,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::PauseCreated => "pause.created",
            AuditKind::MessageSent => "message.sent",
            AuditKind::MessageDelivered => "message.delivered",
            AuditKind::MessageFailed => "message.failed",
            AuditKind::PageOpened => "page.opened",
            AuditKind::PauseResponded => "pause.responded",
            AuditKind::PauseTimedOut => "pause.timed_out",
            AuditKind::PauseCancelled => "pause.cancelled",
            AuditKind::WebhookAttempted => "webhook.attempted",
            AuditKind::AccountCreated => "account.created",
            AuditKind::MemberSignedIn => "member.signed_in",
            AuditKind::MemberSignedOut => "member.signed_out",
            AuditKind::MemberInvited => "member.invited",
            AuditKind::MemberJoined => "member.joined",
            AuditKind::MemberRemoved => "member.removed",
            AuditKind::KeyCreated => "key.created",
            AuditKind::KeyRotated => "key.rotated",
            AuditKind::KeyRevoked => "key.revoked",
            AuditKind::WebhookSecretRotated => "webhook_secret.rotated",
            AuditKind::WebhookReplayed => "webhook.replayed",
            AuditKind::VoteRecorded => "vote.recorded",
            AuditKind::PauseEscalated => "pause.escalated",
            AuditKind::ReminderSent => "reminder.sent",
            AuditKind::DeliveryFallback => "delivery.fallback",
            AuditKind::PolicyNoAgreement => "policy.no_agreement",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The actor of a command sent with a caller's key id: `api_key:<id>`, or for the
/// console, whose caller's key id is already `member:<id>`, that; `system` without one.
pub fn key_actor(key_id: Option<&str>) -> String {
    match key_id {
        None => "system".to_string(),
        Some(k) if k.starts_with("member:") => k.to_string(),
        Some(k) => format!("api_key:{k}"),
    }
}

/// One row of the audit log, as stored in D1 and hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub event_id: String,
    pub pause_id: String,
    pub account_id: String,
    /// Unix milliseconds.
    pub at: i64,
    /// `api_key:<id>`, `member:<id>` (console), `recipient` or `system`.
    pub actor: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Compact JSON text; hashed exactly as stored.
    pub context: String,
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// The chain head a pause's Durable Object keeps: last seq and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl Default for ChainHead {
    fn default() -> Self {
        ChainHead {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

pub fn canonical(e: &AuditEvent) -> String {
    [
        DOMAIN,
        &e.seq.to_string(),
        &e.event_id,
        &e.pause_id,
        &e.account_id,
        &e.at.to_string(),
        &e.actor,
        &e.kind,
        &e.context,
        &e.prev_hash,
    ]
    .join("\n")
}

pub fn row_hash(e: &AuditEvent) -> String {
    hex(&Sha256::digest(canonical(e).as_bytes()))
}

/// What a new event says; `append` places it on the chain.
pub struct NewEvent<'a> {
    pub event_id: String,
    pub pause_id: &'a str,
    pub account_id: &'a str,
    pub at: i64,
    pub actor: String,
    pub kind: AuditKind,
    pub context: &'a Value,
}

/// Chains a new event after `head`; returns the row and the new head.
pub fn append(head: &ChainHead, n: NewEvent) -> (AuditEvent, ChainHead) {
    let mut e = AuditEvent {
        event_id: n.event_id,
        pause_id: n.pause_id.to_string(),
        account_id: n.account_id.to_string(),
        at: n.at,
        actor: n.actor,
        kind: n.kind.as_str().to_string(),
        context: n.context.to_string(),
        seq: head.seq + 1,
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    e.hash = row_hash(&e);
    let next = ChainHead {
        seq: e.seq,
        hash: e.hash.clone(),
    };
    (e, next)
}

/// The first row where a chain breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    pub seq: i64,
    pub event_id: String,
    pub reason: &'static str,
}

/// Verifies one pause's chain a row at a time, so the rows can be read in pages with
/// only the running head kept. Rows come ordered by seq. `object_head` is the chain
/// head the pause's Durable Object holds: the row at its seq must carry its hash, and
/// no row may lie past it. The caller may raise the head it knows (rows written after
/// it first asked) with [`ChainVerifier::learn_head`].
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last: ChainHead,
    object_head: ChainHead,
    rows: u64,
}

/// Why `finish` could not say the chain is whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every row up to the object's head is present and matches it.
    Complete,
    /// Rows up to the head are missing (cut, or still on their way to the database).
    Short { next_seq: i64 },
}

impl ChainVerifier {
    pub fn new(object_head: ChainHead) -> Self {
        ChainVerifier {
            last: ChainHead::default(),
            object_head,
            rows: 0,
        }
    }

    /// The head of the rows accepted so far (seq 0 and GENESIS before any).
    pub fn last(&self) -> &ChainHead {
        &self.last
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn object_head(&self) -> &ChainHead {
        &self.object_head
    }

    /// A newer head from the object; an older one is ignored (heads only grow).
    pub fn learn_head(&mut self, head: ChainHead) {
        if head.seq > self.object_head.seq {
            self.object_head = head;
        }
    }

    /// Checks the next row. On a break nothing is accepted, so after raising the head
    /// (`beyond_head` may be a row written since the head was read) it can be pushed again.
    pub fn push(&mut self, e: &AuditEvent) -> Result<(), Break> {
        let brk = |reason| Break {
            seq: e.seq,
            event_id: e.event_id.clone(),
            reason,
        };
        if e.seq != self.last.seq + 1 {
            return Err(brk("seq_gap"));
        }
        if e.prev_hash != self.last.hash {
            return Err(brk("prev_hash_mismatch"));
        }
        if row_hash(e) != e.hash {
            return Err(brk("hash_mismatch"));
        }
        if e.seq > self.object_head.seq {
            return Err(brk("beyond_head"));
        }
        if e.seq == self.object_head.seq && e.hash != self.object_head.hash {
            return Err(brk("head_mismatch"));
        }
        self.last = ChainHead {
            seq: e.seq,
            hash: e.hash.clone(),
        };
        self.rows += 1;
        Ok(())
    }

    /// After the last row: does the chain reach the object's head?
    pub fn finish(&self) -> Ending {
        if self.last.seq < self.object_head.seq {
            Ending::Short {
                next_seq: self.last.seq + 1,
            }
        } else {
            Ending::Complete
        }
    }
}

/// The break for a chain that stays short of the object's head.
pub fn missing_tail(next_seq: i64) -> Break {
    Break {
        seq: next_seq,
        event_id: String::new(),
        reason: "missing_tail",
    }
}

/// Checks the rows of one pause, ordered by seq, against the object's head: numbering
/// without gaps from 1, each `prev_hash` equal to the previous row's hash, each `hash`
/// recomputed, the last row equal to the head. (All rows at once: tests and tools.)
pub fn verify(rows: &[AuditEvent], object_head: &ChainHead) -> Result<(), Break> {
    let mut v = ChainVerifier::new(object_head.clone());
    for e in rows {
        v.push(e)?;
    }
    match v.finish() {
        Ending::Complete => Ok(()),
        Ending::Short { next_seq } => Err(missing_tail(next_seq)),
    }
}

impl AuditEvent {
    /// The API/export shape: context as a JSON value, time in RFC 3339 too.
    pub fn to_api(&self) -> Value {
        json!({
            "object": "audit_event",
            "event_id": self.event_id,
            "pause_id": self.pause_id,
            "account_id": self.account_id,
            "time": rfc3339(self.at),
            "at": self.at,
            "actor": self.actor,
            "type": self.kind,
            "context": serde_json::from_str::<Value>(&self.context).unwrap_or(Value::Null),
            "context_raw": self.context,
            "seq": self.seq,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        })
    }
}

pub const CSV_HEADER: &str =
    "event_id,pause_id,account_id,time,at,actor,type,context,seq,prev_hash,hash\r\n";

/// RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn csv_line(e: &AuditEvent) -> String {
    let fields = [
        e.event_id.clone(),
        e.pause_id.clone(),
        e.account_id.clone(),
        rfc3339(e.at),
        e.at.to_string(),
        e.actor.clone(),
        e.kind.clone(),
        e.context.clone(),
        e.seq.to_string(),
        e.prev_hash.clone(),
        e.hash.clone(),
    ];
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A page of the listing with `next_cursor`.
    Page,
    Json,
    Ndjson,
    Csv,
}

/// The filters of `GET /v1/audit`, parsed from its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub pause_id: Option<String>,
    pub kind: Option<String>,
    pub actor: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub cursor: Option<String>,
    pub limit: u32,
    pub format: Format,
}

/// Parses the query pairs; unknown parameters are refused by name.
pub fn parse_filter(pairs: &[(String, String)]) -> Result<Filter, ApiError> {
    let mut f = Filter {
        pause_id: None,
        kind: None,
        actor: None,
        since: None,
        until: None,
        cursor: None,
        limit: 100,
        format: Format::Page,
    };
    let time = |k: &str, v: &str| {
        parse_rfc3339(v).ok_or_else(|| {
            ApiError::invalid(
                k,
                format!("`{k}` must be an RFC 3339 time such as 2026-01-31T09:00:00Z; got `{v}`."),
            )
        })
    };
    for (k, v) in pairs {
        match k.as_str() {
            "pause_id" => {
                if super::ids::PauseId::parse(v).is_none() {
                    return Err(ApiError::invalid(
                        "pause_id",
                        format!("`pause_id` must be a pause id such as pause_0123…; got `{v}`."),
                    ));
                }
                f.pause_id = Some(v.clone());
            }
            "type" => {
                let Some(kind) = AuditKind::parse(v) else {
                    let all: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
                    return Err(ApiError::invalid(
                        "type",
                        format!("`{v}` is not an event type: use one of {}.", all.join(", ")),
                    ));
                };
                // Kept as its string for the D1 query (the db module binds it).
                f.kind = Some(kind.as_str().to_string());
            }
            "actor" => {
                let ok = v == "recipient"
                    || v == "system"
                    || v.strip_prefix("api_key:").is_some_and(|id| !id.is_empty())
                    || v.strip_prefix("member:").is_some_and(|id| !id.is_empty());
                if !ok {
                    return Err(ApiError::invalid(
                        "actor",
                        "`actor` must be `recipient`, `system`, `api_key:<key id>` or `member:<member id>`.",
                    ));
                }
                f.actor = Some(v.clone());
            }
            "since" => f.since = Some(time("since", v)?),
            "until" => f.until = Some(time("until", v)?),
            "cursor" => {
                if !v.starts_with("evt_") {
                    return Err(ApiError::invalid(
                        "cursor",
                        "`cursor` must be the `next_cursor` of a previous page.",
                    ));
                }
                f.cursor = Some(v.clone());
            }
            "limit" => {
                f.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=500).contains(l))
                    .ok_or_else(|| {
                        ApiError::invalid("limit", "`limit` must be a whole number from 1 to 500.")
                    })?
            }
            "format" => {
                f.format = match v.as_str() {
                    "json" => Format::Json,
                    "ndjson" => Format::Ndjson,
                    "csv" => Format::Csv,
                    _ => {
                        return Err(ApiError::invalid(
                            "format",
                            "`format` must be json, ndjson or csv.",
                        ))
                    }
                }
            }
            other => {
                return Err(ApiError::UnknownParam {
                    param: other.to_string(),
                    message: format!(
                        "`{other}` is not a filter: use pause_id, type, actor, since, until, cursor, limit or format."
                    ),
                })
            }
        }
    }
    if let (Some(s), Some(u)) = (f.since, f.until) {
        if s > u {
            return Err(ApiError::invalid(
                "until",
                "`until` must not be before `since`.",
            ));
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditEvent> {
        let mut head = ChainHead::default();
        let mut rows = Vec::new();
        for i in 0..n {
            let ctx = json!({"i": i, "note": "a,b \"c\"\nd"});
            let (e, h) = append(
                &head,
                NewEvent {
                    event_id: format!("evt_{i}"),
                    pause_id: "pause_1",
                    account_id: "acct_1",
                    at: 1_700_000_000_000 + i as i64,
                    actor: "system".into(),
                    kind: AuditKind::PauseCreated,
                    context: &ctx,
                },
            );
            rows.push(e);
            head = h;
        }
        rows
    }

    #[test]
    fn canonical_form_is_documented_fields_joined_by_newline() {
        let rows = chain(1);
        let c = canonical(&rows[0]);
        assert!(c.starts_with("pausepoint-audit-v1\n1\nevt_0\npause_1\nacct_1\n1700000000000\nsystem\npause.created\n{"));
        assert!(c.ends_with(&format!("\n{GENESIS}")));
        assert_eq!(rows[0].hash, hex(&Sha256::digest(c.as_bytes())));
    }

    fn head_of(rows: &[AuditEvent]) -> ChainHead {
        rows.last().map_or_else(ChainHead::default, |e| ChainHead {
            seq: e.seq,
            hash: e.hash.clone(),
        })
    }

    #[test]
    fn a_fresh_chain_verifies_and_links() {
        let rows = chain(4);
        assert_eq!(verify(&rows, &head_of(&rows)), Ok(()));
        assert_eq!(verify(&[], &ChainHead::default()), Ok(()));
        assert_eq!(rows[2].prev_hash, rows[1].hash);
        assert_eq!(rows[3].seq, 4);
    }

    #[test]
    fn an_altered_context_breaks_at_that_row() {
        let mut rows = chain(4);
        let head = head_of(&rows);
        rows[2].context = r#"{"i":99}"#.into();
        let b = verify(&rows, &head).unwrap_err();
        assert_eq!((b.seq, b.reason), (3, "hash_mismatch"));
    }

    #[test]
    fn a_rehashed_row_breaks_the_next_link() {
        let mut rows = chain(4);
        let head = head_of(&rows);
        rows[1].actor = "recipient".into();
        rows[1].hash = row_hash(&rows[1]);
        let b = verify(&rows, &head).unwrap_err();
        assert_eq!((b.seq, b.reason), (3, "prev_hash_mismatch"));
    }

    #[test]
    fn a_missing_row_is_a_gap() {
        let mut rows = chain(4);
        let head = head_of(&rows);
        rows.remove(1);
        assert_eq!(verify(&rows, &head).unwrap_err().reason, "seq_gap");
    }

    /// A forged row chained validly after `rows`.
    fn forged_after(rows: &[AuditEvent]) -> AuditEvent {
        let ctx = json!({"choice": "Reject"});
        append(
            &head_of(rows),
            NewEvent {
                event_id: "evt_forged".into(),
                pause_id: "pause_1",
                account_id: "acct_1",
                at: 1_800_000_000_000,
                actor: "recipient".into(),
                kind: AuditKind::PauseResponded,
                context: &ctx,
            },
        )
        .0
    }

    #[test]
    fn a_valid_looking_row_past_the_head_fails_as_beyond_head() {
        let mut rows = chain(3);
        let head = head_of(&rows);
        rows.push(forged_after(&rows));
        let b = verify(&rows, &head).unwrap_err();
        assert_eq!(
            (b.seq, b.reason, b.event_id.as_str()),
            (4, "beyond_head", "evt_forged")
        );
        // Rows written since the head was first read pass once the head is learned.
        let mut v = ChainVerifier::new(head.clone());
        for e in &rows[..3] {
            v.push(e).unwrap();
        }
        assert_eq!(v.push(&rows[3]).unwrap_err().reason, "beyond_head");
        v.learn_head(head_of(&rows));
        v.learn_head(ChainHead::default()); // an older head changes nothing
        assert_eq!(v.push(&rows[3]), Ok(()));
        assert_eq!(v.finish(), Ending::Complete);
        assert_eq!(v.rows(), 4);
    }

    #[test]
    fn a_rewritten_tail_with_a_valid_chain_fails_as_head_mismatch() {
        let rows = chain(4);
        let head = head_of(&rows);
        let mut forged = rows[..3].to_vec();
        let mut last = forged_after(&forged);
        assert_eq!(last.seq, 4);
        last.event_id = rows[3].event_id.clone();
        last.hash = row_hash(&last);
        forged.push(last);
        let b = verify(&forged, &head).unwrap_err();
        assert_eq!((b.seq, b.reason), (4, "head_mismatch"));
    }

    #[test]
    fn a_cut_tail_is_short_of_the_head() {
        let rows = chain(4);
        let head = head_of(&rows);
        let b = verify(&rows[..2], &head).unwrap_err();
        assert_eq!((b.seq, b.reason), (3, "missing_tail"));
        let b = verify(&[], &head).unwrap_err();
        assert_eq!((b.seq, b.reason), (1, "missing_tail"));
    }

    #[test]
    fn pushing_in_pages_equals_verifying_at_once() {
        let rows = chain(45);
        let head = head_of(&rows);
        let mut v = ChainVerifier::new(head.clone());
        for page in rows.chunks(7) {
            for e in page {
                v.push(e).unwrap();
            }
        }
        assert_eq!(v.finish(), Ending::Complete);
        assert_eq!(v.last(), &head);
        // A break stops at the same row whichever way the rows are fed.
        let mut bad = rows.clone();
        bad[30].actor = "x".into();
        let at_once = verify(&bad, &head).unwrap_err();
        let mut v = ChainVerifier::new(head);
        let paged = bad.iter().find_map(|e| v.push(e).err()).unwrap();
        assert_eq!(at_once, paged);
        assert_eq!(paged.seq, 31);
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("x\ny"), "\"x\ny\"");
        let line = csv_line(&chain(1)[0]);
        assert!(line.ends_with("\r\n"));
        assert!(line.contains("\"{\"\"i\"\":0"));
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn actors_name_the_key_or_the_member() {
        assert_eq!(key_actor(None), "system");
        assert_eq!(key_actor(Some("key_1")), "api_key:key_1");
        assert_eq!(key_actor(Some("member:mem_1")), "member:mem_1");
    }

    #[test]
    fn console_kinds_round_trip_and_filter() {
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::parse(k.as_str()), Some(k));
            let json = format!("\"{}\"", k.as_str());
            assert_eq!(serde_json::to_string(&k).unwrap(), json);
        }
        let pairs = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let f = parse_filter(&pairs("type", "member.signed_in")).unwrap();
        assert_eq!(f.kind.as_deref(), Some("member.signed_in"));
        let f = parse_filter(&pairs("actor", "member:mem_1")).unwrap();
        assert_eq!(f.actor.as_deref(), Some("member:mem_1"));
        assert!(parse_filter(&pairs("actor", "member:")).is_err());
    }

    #[test]
    fn filters_parse_and_refuse_bad_input() {
        let f = parse_filter(&q(&[
            ("type", "pause.responded"),
            ("actor", "api_key:key_1"),
            ("since", "2026-01-01T00:00:00Z"),
            ("format", "csv"),
            ("limit", "5"),
        ]))
        .unwrap();
        assert_eq!(f.kind.as_deref(), Some("pause.responded"));
        assert_eq!(f.since, Some(1_767_225_600_000));
        assert_eq!((f.format, f.limit), (Format::Csv, 5));
        assert_eq!(
            parse_filter(&q(&[("type", "nope")])).unwrap_err().param(),
            Some("type")
        );
        assert_eq!(
            parse_filter(&q(&[("actor", "bob")])).unwrap_err().param(),
            Some("actor")
        );
        assert_eq!(
            parse_filter(&q(&[("since", "yesterday")]))
                .unwrap_err()
                .param(),
            Some("since")
        );
        assert_eq!(
            parse_filter(&q(&[("format", "xml")])).unwrap_err().param(),
            Some("format")
        );
        assert_eq!(
            parse_filter(&q(&[("limit", "0")])).unwrap_err().param(),
            Some("limit")
        );
        assert_eq!(
            parse_filter(&q(&[("pause_id", "x")])).unwrap_err().param(),
            Some("pause_id")
        );
        assert!(parse_filter(&q(&[("colour", "red")])).is_err());
        assert!(parse_filter(&q(&[
            ("since", "2026-02-01T00:00:00Z"),
            ("until", "2026-01-01T00:00:00Z")
        ]))
        .is_err());
    }

    #[test]
    fn audit_kinds_keep_their_strings() {
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<AuditKind>(&json).unwrap(), k);
        }
        assert_eq!(AuditKind::parse("pause.Created"), None);
        assert_eq!(AuditKind::parse(""), None);
    }
}
