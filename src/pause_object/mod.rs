//! One Durable Object per pause: the single source of truth for its state.
//!
//! Every change is written together with the effects it causes (index update,
//! delivery, ...) in the object's own SQLite storage: a transactional outbox. The
//! writes between two `.await`s commit atomically, so a crash never leaves a state
//! without its effects. Effects are then run and deleted once done; the alarm retries
//! what failed and also fires the timeout.
//!
//! Here: the adapter (fetch/alarm → `handle(Command)` → `Reply`) and the commands.
//! `storage` is the object's SQLite, `outbox` runs what `core::outbox` says is due,
//! `effects` are the runners, `client` is the Worker's side. The wire protocol is
//! `core::protocol`.

pub(crate) mod client;
mod effects;
mod outbox;
mod policy_timers;
mod receipt;
mod storage;
mod votes;

use std::cell::RefCell;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{select, Either};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::core::audit::{key_actor, AuditKind, ChainHead};
use crate::core::delivery::apply_status_report;
use crate::core::error::ApiError;
use crate::core::link;
use crate::core::outbox::effects_of;
use crate::core::pause::{DeliveryStatus, Pause, Refusal, Status};
use crate::core::policy::delivery as policy_delivery;
use crate::core::protocol::{Command, Outcome, Reply, SlackUser};
use crate::core::request::wait::MAX_WAIT_MS;
use crate::core::waiters::Waiters;
use crate::http::{internal, now_ms};

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
        self.run_timers(&mut p, now)?;
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
                approver,
            } => {
                let seen = Seen {
                    via,
                    country,
                    user_agent,
                    slack_user,
                };
                self.respond(&mut p, approver, choice, None, true, now, seen)?
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
                    a.approver,
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
                // Which message it is: the one recipient's, or an approver's (found by
                // the provider's message id).
                let target = if p.approvers.is_empty() {
                    let ours = p.delivery.provider.as_deref() == Some(provider.as_str())
                        && (p.delivery.message_id.is_none() || p.delivery.message_id == message_id);
                    ours.then_some(None)
                } else {
                    policy_delivery::by_message(&p, &provider, message_id.as_deref()).map(Some)
                };
                let changed = target.is_some_and(|t| {
                    policy_delivery::delivery_mut(&mut p, t).is_some_and(|d| {
                        apply_status_report(
                            d,
                            &status,
                            error_code.as_deref(),
                            error_message.clone(),
                            now,
                        )
                    })
                });
                if changed {
                    if let Some(Some(i)) = target {
                        policy_delivery::reported(&mut p, i);
                    }
                    let reported = target
                        .and_then(|t| policy_delivery::delivery_mut(&mut p, t).map(|d| d.status))
                        .unwrap_or(p.delivery.status);
                    p.version += 1;
                    // Provider reports: failures and deliveries are audit events of their own.
                    let kind = match reported {
                        DeliveryStatus::Failed => AuditKind::MessageFailed,
                        DeliveryStatus::Delivered => AuditKind::MessageDelivered,
                        _ => AuditKind::MessageSent,
                    };
                    let approver_index = target.flatten();
                    let approver = approver_index.map(|i| p.approvers[i].id.clone());
                    let ctx = serde_json::json!({
                        "provider": provider, "message_id": message_id, "status": status,
                        "error_code": error_code, "error_message": error_message,
                        "approver": approver,
                    });
                    self.audit(&p, "system", kind, &ctx)?;
                    // A failed report is handled as a failed send: the approver's next
                    // contact, or `pause.delivery_failed` (only while the pause waits).
                    let pending = p.status == Status::Pending;
                    let failed = reported == DeliveryStatus::Failed;
                    let effects = self.after_delivery(&mut p, approver_index, failed, pending)?;
                    self.commit(&mut p, &effects)?;
                    Outcome::Changed
                } else {
                    Outcome::Unchanged
                }
            }
            Command::Cancel { key_id } => match p.cancel(now) {
                Ok(t) => {
                    let actor = key_actor(key_id.as_deref());
                    let ctx = serde_json::json!({ "key_id": key_id });
                    self.audit(&p, &actor, AuditKind::PauseCancelled, &ctx)?;
                    let effects = effects_of(p.webhook_url.is_some(), t.into());
                    self.commit(&mut p, &effects)?;
                    Outcome::Changed
                }
                Err(_) => Outcome::NotPending,
            },
            Command::PageOpened { context } => {
                if link::record_open(p.status, self.last_page_open(), now) {
                    self.audit(&p, "recipient", AuditKind::PageOpened, &context)?;
                    self.set_last_page_open(now)?;
                }
                Outcome::Unchanged
            }
            Command::Record {
                actor,
                kind,
                context,
            } => {
                self.audit(&p, &actor, kind, &context)?;
                Outcome::Unchanged
            }
        };
        // A change's effects run before the answer (a list right after a cancel shows
        // it; the webhook leaves with the tap); a read's leftovers leave through the
        // alarm, so a GET never waits for D1.
        if outcome == Outcome::Changed {
            self.flush(false).await;
        }
        self.arm().await?;
        Ok(Reply {
            outcome,
            pause: Some(p),
            audit_head: Some(self.audit_head()?),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn respond(
        &self,
        p: &mut Pause,
        approver: Option<u8>,
        choice: usize,
        comment: Option<&str>,
        confirmed: bool,
        now: i64,
        seen: Seen,
    ) -> std::result::Result<Outcome, ApiError> {
        if !p.approvers.is_empty() {
            let Some(i) = approver else {
                return Ok(Outcome::NotFound); // every link of such a pause names its approver
            };
            let answer = votes::Answer {
                choice,
                comment,
                confirmed,
            };
            return self.record_vote(p, usize::from(i), answer, now, seen);
        }
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
                    self.audit(p, "recipient", AuditKind::PauseResponded, &ctx)?;
                    let effects = effects_of(p.webhook_url.is_some(), t.into());
                    self.commit(p, &effects)?;
                    Outcome::Changed
                }
                Err(Refusal::NotPending(_)) => Outcome::NotPending,
                Err(Refusal::NoSuchOption) => Outcome::NoSuchOption,
                Err(Refusal::CommentNotAllowed | Refusal::CommentTooLong) => {
                    Outcome::CommentRefused
                }
                Err(Refusal::NeedsConfirmation) => Outcome::NeedsConfirmation,
                // Only votes (multi-approver pauses) refuse these.
                Err(Refusal::AlreadyVoted | Refusal::NotYourTurn | Refusal::NotAnApprover) => {
                    Outcome::NotFound
                }
            },
        )
    }

    /// Creates the pause (once: a repeated create returns the existing one).
    ///
    /// A fresh object is written in one synchronous stretch (one commit): the schema and
    /// the existence check in one call, the state, the audit chain's first link and the
    /// outbox rows, then the alarm. Nothing here reads what a fresh object cannot have.
    async fn create(
        &self,
        mut p: Pause,
        key_id: Option<String>,
    ) -> std::result::Result<Reply, ApiError> {
        if let Some(existing) = self.ensure_schema_and_load()? {
            return Ok(Reply {
                outcome: Outcome::Unchanged,
                pause: Some(existing),
                audit_head: Some(self.audit_head()?),
            });
        }
        // The listing row again (the Worker's batch wrote it already): a retry under an
        // Idempotency-Key that reaches the object first makes its pause, which the
        // listing row must then show. It leaves in the same D1 batch as the audit row.
        // Then one delivery per approver asked now (or the one recipient).
        let effects = crate::core::policy::create::create_effects(&p);
        self.commit(&mut p, &effects)?;
        // The full request as created (never the key itself, nor the response link).
        let mut request = p.to_api();
        if let Some(o) = request.as_object_mut() {
            o.remove("delivery");
        }
        let ctx = serde_json::json!({ "request": request, "key_id": key_id });
        let actor = key_actor(key_id.as_deref());
        // No pause row means no chain yet: the audit head is only written after it.
        let head = self.append_audit(
            &p,
            &actor,
            AuditKind::PauseCreated,
            &ctx,
            &ChainHead::default(),
        )?;
        // Nothing goes to D1 before the answer: the Worker's create batch wrote the
        // listing row already. The audit row (with the listing row, in one batch) and
        // the delivery leave through the alarm, set to now, right after the answer. A
        // fresh object has no alarm and its outbox is due now: no need to ask `arm`.
        self.state
            .storage()
            .set_alarm(Duration::from_millis(0))
            .await
            .map_err(internal)?;
        Ok(Reply {
            outcome: Outcome::Changed,
            pause: Some(p),
            audit_head: Some(head),
        })
    }

    async fn on_alarm(&self) -> std::result::Result<(), ApiError> {
        let Some(mut p) = self.load()? else {
            return Ok(());
        };
        let now = now_ms();
        self.expire_if_due(&mut p, now)?;
        self.run_timers(&mut p, now)?;
        self.flush(true).await;
        self.arm().await
    }

    fn expire_if_due(&self, p: &mut Pause, now: i64) -> std::result::Result<(), ApiError> {
        if let Some(t) = p.expire_if_due(now) {
            let ctx = serde_json::json!({
                "deadline": crate::core::time::rfc3339(p.expires_at),
                "default_fired": p.timeout_default, "status": p.status.as_str(),
            });
            // With a default the pause becomes `responded`; the audit type says why.
            self.audit(p, "system", AuditKind::PauseTimedOut, &ctx)?;
            let effects = effects_of(p.webhook_url.is_some(), t.into());
            self.commit(p, &effects)?;
        }
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
pub(crate) struct Seen {
    /// How the answer arrived: `page`, `slack`.
    via: String,
    country: Option<String>,
    user_agent: Option<String>,
    slack_user: Option<SlackUser>,
}
