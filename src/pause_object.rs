//! One Durable Object per pause: the single source of truth for its state.
//!
//! Every change is written together with the effects it causes (index update,
//! delivery, ...) in the object's own SQLite storage: a transactional outbox. The
//! writes between two `.await`s commit atomically, so a crash never leaves a state
//! without its effects. Effects are then run and deleted once done; the alarm retries
//! what failed and also fires the timeout.

use std::cell::RefCell;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{select, Either};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, State,
};

use crate::audit_store;
use crate::channels;
use crate::core::audit::{self, AuditEvent, ChainHead, NewEvent};
use crate::core::delivery::{apply_status_report, DeliveryOutcome};
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::link;
use crate::core::pause::{Pause, Refusal, Status};
use crate::core::retry::outbox_delay_ms;
use crate::core::waiters::Waiters;
use crate::core::webhook::event::EventType;
use crate::http::{internal, now_ms, random_bytes};
use crate::store;
use crate::webhooks;

/// Effects still running after this long are taken to have crashed and are retried.
const LEASE_MS: i64 = 60_000;
pub const MAX_WAIT_MS: u64 = 55_000;
/// Delivery status while a provider call is in flight (written before the call).
const SENDING: &str = "sending";

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
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
        kind: String,
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
#[derive(Serialize, Deserialize)]
pub struct SlackUser {
    pub id: String,
    pub name: Option<String>,
}

/// A choice from the response page, with the person's optional comment.
#[derive(Serialize, Deserialize)]
pub struct PageAnswer {
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
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
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
    NotFound,
}

#[derive(Serialize, Deserialize)]
pub struct Reply {
    pub outcome: Outcome,
    pub pause: Option<Pause>,
    /// The audit chain's head as this object knows it (lets verify catch a cut tail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<ChainHead>,
}

/// Work that must happen because of a change, recorded with it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Effect {
    /// Upsert the D1 listing row with the current state.
    Index,
    /// Send the question to the recipient.
    Deliver,
    /// Insert an audit row (already chained) into D1.
    Audit { event: Box<AuditEvent> },
    /// Record the webhook event and enqueue its delivery (only with a `webhook_url`).
    Webhook { event: EventType },
}

/// The effects of a transition: the listing row, and the webhook if one is wanted.
/// The index row comes last: it waits for the effects before it (see `flush`).
fn effects_of(p: &Pause, event: EventType) -> Vec<Effect> {
    let mut effects = Vec::with_capacity(2);
    if p.webhook_url.is_some() {
        effects.push(Effect::Webhook { event });
    }
    effects.push(Effect::Index);
    effects
}

impl Effect {
    /// Background effects never run inside a request: the API answers first.
    fn background(&self) -> bool {
        matches!(self, Effect::Deliver)
    }
}

#[durable_object]
pub struct PauseObject {
    state: State,
    env: Env,
    /// Long-polls waiting for this pause to leave `pending` (only those in progress).
    waiters: RefCell<Waiters<oneshot::Sender<()>>>,
    /// Who holds an effect's lease. A Durable Object runs as one instance at a time,
    /// so a lease taken by an earlier instance died with it and is taken over at once.
    instance: String,
}

#[derive(Deserialize)]
struct DocRow {
    doc: String,
}

#[derive(Deserialize)]
struct OutboxRow {
    seq: i64,
    payload: String,
    attempts: i64,
    next_at: i64,
    lease_until: i64,
    lease_owner: Option<String>,
}

#[derive(Deserialize)]
struct WakeRow {
    at: Option<i64>,
}

impl DurableObject for PauseObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            waiters: RefCell::new(Waiters::default()),
            instance: crate::core::ids::hex(&crate::http::random_bytes::<8>()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let cmd: Command = req.json().await?;
        let reply = match self.handle(cmd).await {
            Ok(r) => r,
            Err(e) => return Response::error(e.to_string(), 500),
        };
        Response::from_json(&reply)
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(e) = self.on_alarm().await {
            worker::console_error!("pause alarm failed: {e}");
            // Try again soon rather than lose the wake-up.
            self.state
                .storage()
                .set_alarm(Duration::from_secs(5))
                .await?;
        }
        Response::ok("")
    }
}

impl PauseObject {
    async fn handle(&self, cmd: Command) -> std::result::Result<Reply, ApiError> {
        let now = now_ms();
        let (cmd, account) = match cmd {
            Command::ForAccount {
                account_id,
                livemode,
                cmd,
            } => (*cmd, Some((account_id, livemode))),
            cmd => (cmd, None),
        };
        if let Command::Create { pause, key_id } = cmd {
            return self.create(*pause, key_id).await;
        }
        let not_found = Reply {
            outcome: Outcome::NotFound,
            pause: None,
            audit_head: None,
        };
        let Some(mut p) = self.load()? else {
            return Ok(not_found);
        };
        if account.is_some_and(|(a, live)| a != p.account_id || live != p.livemode) {
            return Ok(not_found);
        }
        self.expire_if_due(&mut p, now)?;
        let outcome = match cmd {
            // Create is handled above; ForAccount wraps once, never twice.
            Command::Create { .. } | Command::ForAccount { .. } => {
                return Err(internal("command not valid here"))
            }
            Command::Get { wait_ms } => {
                if p.status == Status::Pending && wait_ms > 0 {
                    self.wait_for_change(wait_ms.min(MAX_WAIT_MS)).await;
                    p = self
                        .load()?
                        .ok_or_else(|| internal("pause vanished while waiting"))?;
                    self.expire_if_due(&mut p, now_ms())?;
                }
                Outcome::Unchanged
            }
            Command::Respond {
                choice,
                via,
                country,
                user_agent,
                slack_user,
            } => {
                let seen = Seen {
                    via,
                    country,
                    user_agent,
                    slack_user,
                };
                self.respond(&mut p, choice, None, true, now, seen)?
            }
            Command::RespondWithComment(a) => {
                let seen = Seen {
                    via: a.via,
                    country: a.country,
                    user_agent: a.user_agent,
                    slack_user: None,
                };
                self.respond(
                    &mut p,
                    a.choice,
                    a.comment.as_deref(),
                    a.confirmed,
                    now,
                    seen,
                )?
            }
            Command::DeliveryReport {
                provider,
                message_id,
                status,
                error_code,
                error_message,
            } => {
                let ours = p.delivery.provider.as_deref() == Some(provider.as_str())
                    && (p.delivery.message_id.is_none() || p.delivery.message_id == message_id);
                if ours
                    && apply_status_report(
                        &mut p.delivery,
                        &status,
                        error_code.as_deref(),
                        error_message.clone(),
                        now,
                    )
                {
                    p.version += 1;
                    // Provider reports: failures and deliveries are audit events of their own.
                    let kind = match p.delivery.status.as_str() {
                        "failed" => "message.failed",
                        "delivered" => "message.delivered",
                        _ => "message.sent",
                    };
                    let ctx = serde_json::json!({
                        "provider": provider, "message_id": message_id, "status": status,
                        "error_code": error_code, "error_message": error_message,
                    });
                    self.audit(&p, "system", kind, &ctx)?;
                    self.commit(&p, &[Effect::Index])?;
                    Outcome::Changed
                } else {
                    Outcome::Unchanged
                }
            }
            Command::Cancel { key_id } => match p.cancel(now) {
                Ok(t) => {
                    let actor = key_actor(key_id.as_deref());
                    let ctx = serde_json::json!({ "key_id": key_id });
                    self.audit(&p, &actor, "pause.cancelled", &ctx)?;
                    self.commit(&p, &effects_of(&p, t.into()))?;
                    Outcome::Changed
                }
                Err(_) => Outcome::NotPending,
            },
            Command::PageOpened { context } => {
                if link::record_open(p.status, self.last_page_open(), now) {
                    self.audit(&p, "recipient", "page.opened", &context)?;
                    self.set_last_page_open(now)?;
                }
                Outcome::Unchanged
            }
            Command::Record {
                actor,
                kind,
                context,
            } => {
                self.audit(&p, &actor, &kind, &context)?;
                Outcome::Unchanged
            }
        };
        self.flush(false).await;
        self.arm().await?;
        Ok(Reply {
            outcome,
            pause: Some(p),
            audit_head: Some(self.audit_head()?),
        })
    }

    fn respond(
        &self,
        p: &mut Pause,
        choice: usize,
        comment: Option<&str>,
        confirmed: bool,
        now: i64,
        seen: Seen,
    ) -> std::result::Result<Outcome, ApiError> {
        let via = seen.via.as_str();
        Ok(
            match p.respond_with_comment(choice, comment, confirmed, now, via) {
                Ok(t) => {
                    let mut ctx = serde_json::json!({
                        "choice": p.response_choice, "choice_index": choice,
                        "channel": p.channel.as_str(), "via": via,
                        "comment": p.response_comment,
                        "ip_country": seen.country, "user_agent": seen.user_agent,
                    });
                    if let Some(u) = seen.slack_user {
                        ctx["slack_user"] = serde_json::json!({ "id": u.id, "name": u.name });
                    }
                    self.audit(p, "recipient", "pause.responded", &ctx)?;
                    self.commit(p, &effects_of(p, t.into()))?;
                    Outcome::Changed
                }
                Err(Refusal::NotPending(_)) => Outcome::NotPending,
                Err(Refusal::NoSuchOption) => Outcome::NoSuchOption,
                Err(Refusal::CommentNotAllowed | Refusal::CommentTooLong) => {
                    Outcome::CommentRefused
                }
                Err(Refusal::NeedsConfirmation) => Outcome::NeedsConfirmation,
            },
        )
    }

    async fn create(
        &self,
        p: Pause,
        key_id: Option<String>,
    ) -> std::result::Result<Reply, ApiError> {
        self.ensure_schema()?;
        if let Some(existing) = self.load()? {
            return Ok(Reply {
                outcome: Outcome::Unchanged,
                pause: Some(existing),
                audit_head: Some(self.audit_head()?),
            });
        }
        self.commit(&p, &[Effect::Index, Effect::Deliver])?;
        // The full request as created (never the key itself, nor the response link).
        let mut request = p.to_api();
        if let Some(o) = request.as_object_mut() {
            o.remove("delivery");
        }
        let ctx = serde_json::json!({ "request": request, "key_id": key_id });
        self.audit(&p, &key_actor(key_id.as_deref()), "pause.created", &ctx)?;
        // The listing row now, so a list right after create shows it; delivery
        // waits for the alarm, which fires as soon as this request is answered.
        self.flush(false).await;
        self.arm().await?;
        Ok(Reply {
            outcome: Outcome::Changed,
            pause: Some(p),
            audit_head: Some(self.audit_head()?),
        })
    }

    async fn on_alarm(&self) -> std::result::Result<(), ApiError> {
        let Some(mut p) = self.load()? else {
            return Ok(());
        };
        self.expire_if_due(&mut p, now_ms())?;
        self.flush(true).await;
        self.arm().await
    }

    fn ensure_schema(&self) -> std::result::Result<(), ApiError> {
        let sql = self.state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS pause (k INTEGER PRIMARY KEY CHECK (k = 1), doc TEXT NOT NULL)", None)
            .map_err(internal)?;
        sql.exec("CREATE TABLE IF NOT EXISTS audit_head (k INTEGER PRIMARY KEY CHECK (k = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL)", None)
            .map_err(internal)?;
        sql.exec(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL,
             attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,
             lease_until INTEGER NOT NULL DEFAULT 0, last_error TEXT, lease_owner TEXT)",
            None,
        )
        .map_err(internal)?;
        Ok(())
    }

    fn load(&self) -> std::result::Result<Option<Pause>, ApiError> {
        let sql = self.state.storage().sql();
        // An object that was never created has no table: it is simply not found.
        let exists = sql
            .exec(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'pause'",
                None,
            )
            .map_err(internal)?
            .to_array::<serde_json::Value>()
            .map_err(internal)?;
        if exists.is_empty() {
            return Ok(None);
        }
        let rows: Vec<DocRow> = sql
            .exec("SELECT doc FROM pause WHERE k = 1", None)
            .map_err(internal)?
            .to_array()
            .map_err(internal)?;
        rows.first()
            .map(|r| serde_json::from_str(&r.doc).map_err(internal))
            .transpose()
    }

    /// Writes the state and its effects. No `.await` in here: one atomic commit.
    fn commit(&self, p: &Pause, effects: &[Effect]) -> std::result::Result<(), ApiError> {
        let sql = self.state.storage().sql();
        let doc = serde_json::to_string(p).map_err(internal)?;
        sql.exec(
            "INSERT OR REPLACE INTO pause (k, doc) VALUES (1, ?)",
            vec![doc.into()],
        )
        .map_err(internal)?;
        for e in effects {
            let payload = serde_json::to_string(e).map_err(internal)?;
            sql.exec(
                "INSERT INTO outbox (payload) VALUES (?)",
                vec![payload.into()],
            )
            .map_err(internal)?;
        }
        if p.status != Status::Pending {
            let woken = self.waiters.borrow_mut().take_all();
            for w in woken {
                let _ = w.send(());
            }
        }
        Ok(())
    }

    fn expire_if_due(&self, p: &mut Pause, now: i64) -> std::result::Result<(), ApiError> {
        if let Some(t) = p.expire_if_due(now) {
            let ctx = serde_json::json!({
                "deadline": crate::core::time::rfc3339(p.expires_at),
                "default_fired": p.timeout_default, "status": p.status.as_str(),
            });
            // With a default the pause becomes `responded`; the audit type says why.
            self.audit(p, "system", "pause.timed_out", &ctx)?;
            self.commit(p, &effects_of(p, t.into()))?;
        }
        Ok(())
    }

    fn audit_head(&self) -> std::result::Result<ChainHead, ApiError> {
        #[derive(Deserialize)]
        struct HeadRow {
            seq: i64,
            hash: String,
        }
        // Pauses created before the audit log have no table: an empty chain.
        let rows = self
            .state
            .storage()
            .sql()
            .exec("SELECT seq, hash FROM audit_head WHERE k = 1", None)
            .and_then(|c| c.to_array::<HeadRow>())
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .next()
            .map(|r| ChainHead {
                seq: r.seq,
                hash: r.hash,
            })
            .unwrap_or_default())
    }

    /// Appends an event to this pause's hash chain and to the outbox, in the same
    /// synchronous stretch as the state change it records (one atomic commit). This is
    /// also the hook for other effects (webhook attempts): call it from inside the
    /// object, or send `Command::Record` from outside (see [`record`]).
    pub fn audit(
        &self,
        p: &Pause,
        actor: &str,
        kind: &str,
        context: &serde_json::Value,
    ) -> std::result::Result<(), ApiError> {
        let sql = self.state.storage().sql();
        // Objects created before the audit log lack the table; it costs nothing to ensure.
        sql.exec("CREATE TABLE IF NOT EXISTS audit_head (k INTEGER PRIMARY KEY CHECK (k = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL)", None)
            .map_err(internal)?;
        let head = self.audit_head()?;
        let (event, next) = audit::append(
            &head,
            NewEvent {
                event_id: format!("evt_{}", hex(&random_bytes::<12>())),
                pause_id: &p.id,
                account_id: &p.account_id,
                at: now_ms(),
                actor: actor.to_string(),
                kind,
                context,
            },
        );
        sql.exec(
            "INSERT OR REPLACE INTO audit_head (k, seq, hash) VALUES (1, ?, ?)",
            vec![next.seq.into(), next.hash.into()],
        )
        .map_err(internal)?;
        crate::metrics::audit_event(&self.env, p, kind, context);
        let payload = serde_json::to_string(&Effect::Audit {
            event: Box::new(event),
        })
        .map_err(internal)?;
        sql.exec(
            "INSERT INTO outbox (payload) VALUES (?)",
            vec![payload.into()],
        )
        .map_err(internal)?;
        Ok(())
    }

    async fn wait_for_change(&self, wait_ms: u64) {
        let (tx, rx) = oneshot::channel();
        let ticket = {
            let mut w = self.waiters.borrow_mut();
            w.prune(oneshot::Sender::is_canceled);
            w.park(tx)
        };
        // Leaves the registry however the wait ends: woken, timed out, or dropped.
        let _leave = LeaveOnDrop {
            waiters: &self.waiters,
            ticket,
        };
        let timer = worker::Delay::from(Duration::from_millis(wait_ms));
        match select(rx, timer).await {
            Either::Left(_) | Either::Right(_) => {}
        }
    }

    /// When `page.opened` was last recorded (no table: never).
    fn last_page_open(&self) -> Option<i64> {
        self.state
            .storage()
            .sql()
            .exec("SELECT at FROM page_open WHERE k = 1", None)
            .and_then(|c| c.to_array::<WakeRow>())
            .ok()
            .and_then(|rows| rows.first().and_then(|r| r.at))
    }

    fn set_last_page_open(&self, at: i64) -> std::result::Result<(), ApiError> {
        let sql = self.state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS page_open (k INTEGER PRIMARY KEY CHECK (k = 1), at INTEGER NOT NULL)", None)
            .map_err(internal)?;
        sql.exec(
            "INSERT OR REPLACE INTO page_open (k, at) VALUES (1, ?)",
            vec![at.into()],
        )
        .map_err(internal)?;
        Ok(())
    }

    /// Runs the effects that are due. Each is leased first (synchronously), so two
    /// flushes never run one effect twice; a failure is retried with back-off.
    async fn flush(&self, include_background: bool) {
        let sql = self.state.storage().sql();
        let now = now_ms();
        let rows: Vec<OutboxRow> = match sql
            .exec(
                "SELECT seq, payload, attempts, next_at, lease_until, lease_owner FROM outbox ORDER BY seq",
                None,
            )
            .and_then(|c| c.to_array())
        {
            Ok(r) => r,
            Err(e) => {
                worker::console_error!("outbox read failed: {e}");
                return;
            }
        };
        let mut earlier_pending = false;
        for row in rows {
            let Ok(effect) = serde_json::from_str::<Effect>(&row.payload) else {
                worker::console_error!("dropping unreadable outbox row {}", row.seq);
                let _ = sql.exec("DELETE FROM outbox WHERE seq = ?", vec![row.seq.into()]);
                continue;
            };
            // The listing shows a state only once that state's other effects are done:
            // a pause still `pending` in the index is what the restart sweep recovers.
            if effect == Effect::Index && earlier_pending {
                continue;
            }
            let leased_here =
                row.lease_owner.as_deref() == Some(self.instance.as_str()) && row.lease_until > now;
            let due = row.next_at <= now && !leased_here;
            if !due || (effect.background() && !include_background) {
                earlier_pending |= !effect.background();
                continue;
            }
            let t = now_ms();
            let claimed = sql
                .exec(
                    "UPDATE outbox SET lease_until = ?1, lease_owner = ?4 WHERE seq = ?2
                     AND (lease_owner IS NOT ?4 OR lease_until <= ?3) RETURNING seq",
                    vec![
                        (t + LEASE_MS).into(),
                        row.seq.into(),
                        t.into(),
                        self.instance.clone().into(),
                    ],
                )
                .and_then(|c| c.to_array::<serde_json::Value>())
                .map(|v| !v.is_empty())
                .unwrap_or(false);
            if !claimed {
                earlier_pending |= !effect.background();
                continue;
            }
            match self.run(effect.clone()).await {
                Ok(()) => {
                    let _ = sql.exec("DELETE FROM outbox WHERE seq = ?", vec![row.seq.into()]);
                }
                Err(e) => {
                    earlier_pending |= !effect.background();
                    let attempts = row.attempts + 1;
                    worker::console_warn!(
                        "outbox effect {effect:?} failed (attempt {attempts}): {e}"
                    );
                    let _ = sql.exec(
                        "UPDATE outbox SET attempts = ?1, next_at = ?2, lease_until = 0, lease_owner = NULL, last_error = ?3 WHERE seq = ?4",
                        vec![
                            attempts.into(),
                            (now_ms() + outbox_delay_ms(attempts as u32)).into(),
                            e.to_string().into(),
                            row.seq.into(),
                        ],
                    );
                }
            }
        }
    }

    async fn run(&self, effect: Effect) -> std::result::Result<(), ApiError> {
        // Always act on the current state: it may have changed while we awaited.
        let Some(p) = self.load()? else { return Ok(()) };
        match effect {
            Effect::Index => store::index_pause(&self.env, &p).await,
            // A pause answered or cancelled before its message left needs no message.
            Effect::Deliver if p.status != Status::Pending => Ok(()),
            Effect::Webhook { event } => webhooks::emit(&self.env, &p, event).await,
            Effect::Audit { event } => audit_store::insert(&self.env, &event, p.livemode).await,
            Effect::Deliver => {
                let route = channels::route(&self.env, &p);
                let outcome = if p.delivery.status == SENDING && !route.safe_to_repeat() {
                    // A previous attempt stopped mid-call: it may have gone out.
                    // Never risk a second message; the provider's report can still
                    // correct this record.
                    DeliveryOutcome::Permanent {
                        provider: route.provider().into(),
                        code: "outcome_unknown".into(),
                        message: "Delivery was interrupted while the provider was being called and was not repeated, to avoid a duplicate message.".into(),
                    }
                } else {
                    if !route.safe_to_repeat() {
                        let mut marked = p.clone();
                        marked.delivery.status = SENDING.into();
                        self.commit(&marked, &[])?;
                    }
                    channels::deliver(&self.env, &p, &route).await
                };
                let Some(mut p) = self.load()? else {
                    return Ok(());
                };
                let retry = outcome.is_transient();
                let failed = matches!(outcome, DeliveryOutcome::Permanent { .. });
                outcome.apply(&mut p.delivery, now_ms());
                p.version += 1;
                let (kind, ctx) = delivery_event(&outcome, &p);
                self.audit(&p, "system", kind, &ctx)?;
                if failed {
                    self.commit(&p, &effects_of(&p, EventType::DeliveryFailed))?;
                } else {
                    self.commit(&p, &[Effect::Index])?;
                }
                if retry {
                    Err(internal("transient delivery failure"))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Sets the alarm to the next moment something is due: an effect's retry or the
    /// pause's deadline. Also re-arms after a restart lost the alarm (local mode).
    async fn arm(&self) -> std::result::Result<(), ApiError> {
        let sql = self.state.storage().sql();
        let rows: Vec<WakeRow> = sql
            // An index row waiting behind an earlier effect wakes with that effect.
            .exec(
                "SELECT MIN(CASE WHEN o.lease_owner = ?1 THEN MAX(o.next_at, o.lease_until) ELSE o.next_at END) AS at
                 FROM outbox o
                 WHERE NOT (o.payload = '{\"kind\":\"index\"}' AND EXISTS
                   (SELECT 1 FROM outbox e WHERE e.seq < o.seq AND e.payload <> '{\"kind\":\"deliver\"}'))",
                vec![self.instance.clone().into()],
            )
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        let mut next = rows.first().and_then(|r| r.at);
        if let Some(p) = self.load()? {
            if p.status == Status::Pending {
                next = Some(next.map_or(p.expires_at, |n| n.min(p.expires_at)));
            }
        }
        let storage = self.state.storage();
        match next {
            Some(at) => {
                let current = storage.get_alarm().await.map_err(internal)?;
                if current != Some(at) {
                    let date = js_sys::Date::new(&JsValue::from_f64(at.max(now_ms()) as f64));
                    storage
                        .set_alarm(worker::ScheduledTime::new(date))
                        .await
                        .map_err(internal)?;
                }
            }
            None => storage.delete_alarm().await.map_err(internal)?,
        }
        Ok(())
    }
}

/// Removes a long-poll's waiter from the registry when its wait ends.
struct LeaveOnDrop<'a> {
    waiters: &'a RefCell<Waiters<oneshot::Sender<()>>>,
    ticket: u64,
}

impl Drop for LeaveOnDrop<'_> {
    fn drop(&mut self) {
        if let Ok(mut w) = self.waiters.try_borrow_mut() {
            w.remove(self.ticket);
        }
    }
}

/// Where a page answer came from, for the audit log.
struct Seen {
    /// How the answer arrived: `page`, `slack`.
    via: String,
    country: Option<String>,
    user_agent: Option<String>,
    slack_user: Option<SlackUser>,
}

/// The actor of a command: `api_key:<id>`, or `member:<id>` for the console (whose
/// caller's key id is already `member:<id>`).
fn key_actor(key_id: Option<&str>) -> String {
    match key_id {
        None => "system".to_string(),
        Some(k) if k.starts_with("member:") => k.to_string(),
        Some(k) => format!("api_key:{k}"),
    }
}

fn delivery_event(outcome: &DeliveryOutcome, p: &Pause) -> (&'static str, serde_json::Value) {
    let base = |provider: &str| {
        serde_json::json!({
            "channel": p.channel.as_str(), "provider": provider, "attempt": p.delivery.attempts,
        })
    };
    match outcome {
        DeliveryOutcome::Sent {
            provider,
            message_id,
            ..
        } => {
            let mut c = base(provider);
            c["message_id"] = message_id.clone().into();
            ("message.sent", c)
        }
        DeliveryOutcome::Permanent {
            provider,
            code,
            message,
        } => {
            let mut c = base(provider);
            c["code"] = code.as_str().into();
            c["message"] = message.as_str().into();
            c["will_retry"] = false.into();
            ("message.failed", c)
        }
        DeliveryOutcome::Transient { provider, message } => {
            let mut c = base(provider);
            c["message"] = message.as_str().into();
            c["will_retry"] = true.into();
            ("message.failed", c)
        }
    }
}

/// Records that the response page was opened (throttled inside the object). Returns
/// the pause as it is now; `None` if no such pause.
pub async fn page_opened(
    env: &Env,
    pause_id: &str,
    context: serde_json::Value,
) -> std::result::Result<Option<Pause>, ApiError> {
    Ok(call(env, pause_id, &Command::PageOpened { context })
        .await?
        .pause)
}

/// Appends a state-neutral event to a pause's audit chain from the Worker side (a
/// provider's delivery report, a webhook attempt). `None` if no such pause.
pub async fn record(
    env: &Env,
    pause_id: &str,
    actor: &str,
    kind: &str,
    context: serde_json::Value,
) -> std::result::Result<Option<Pause>, ApiError> {
    let cmd = Command::Record {
        actor: actor.to_string(),
        kind: kind.to_string(),
        context,
    };
    Ok(call(env, pause_id, &cmd).await?.pause)
}

/// The Worker's side: one call per command, addressed by pause id.
pub async fn call(
    env: &Env,
    pause_id: &str,
    cmd: &Command,
) -> std::result::Result<Reply, ApiError> {
    let stub = env
        .durable_object("PAUSES")
        .map_err(internal)?
        .get_by_name(pause_id)
        .map_err(internal)?;
    let body = serde_json::to_string(cmd).map_err(internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let req = Request::new_with_init("https://pause.internal/", &init).map_err(internal)?;
    let mut resp = stub.fetch_with_request(req).await.map_err(internal)?;
    if resp.status_code() != 200 {
        let text = resp.text().await.unwrap_or_default();
        return Err(internal(format!(
            "pause object answered {}: {text}",
            resp.status_code()
        )));
    }
    resp.json::<Reply>().await.map_err(internal)
}
