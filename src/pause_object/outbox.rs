//! Runs the outbox: `flush` runs the effects `core::outbox::plan` says are due (the D1
//! writes among them in one batch), `arm` sets the alarm to the wake time it gives. The
//! rules themselves are pure and live in core.

use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::PauseObject;
use crate::core::error::ApiError;
use crate::core::outbox::{next_step, plan, Effect, Row, Step};
use crate::core::pause::Status;
use crate::core::policy::tick::wake_at;
use crate::core::retry::outbox_delay_ms;
use crate::db::{self, Db};
use crate::http::{internal, now_ms};
use crate::webhook::producer;

/// Effects still running after this long are taken to have crashed and are retried.
const LEASE_MS: i64 = 60_000;

#[derive(Deserialize)]
struct OutboxRow {
    seq: i64,
    payload: String,
    attempts: i64,
    next_at: i64,
    lease_until: i64,
    lease_owner: Option<String>,
}

impl PauseObject {
    /// The outbox in seq order; a row that does not read as an effect is dropped.
    fn outbox_rows(&self) -> Result<Vec<Row>, ApiError> {
        let sql = self.state.storage().sql();
        let rows: Vec<OutboxRow> = sql
            .exec(
                "SELECT seq, payload, attempts, next_at, lease_until, lease_owner FROM outbox ORDER BY seq",
                None,
            )
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let Ok(effect) = serde_json::from_str::<Effect>(&r.payload) else {
                worker::console_error!("dropping unreadable outbox row {}", r.seq);
                let _ = sql.exec("DELETE FROM outbox WHERE seq = ?", vec![r.seq.into()]);
                continue;
            };
            out.push(Row {
                seq: r.seq,
                effect,
                attempts: r.attempts,
                next_at: r.next_at,
                lease_until: r.lease_until,
                lease_owner: r.lease_owner,
            });
        }
        Ok(out)
    }

    /// Runs the effects that are due, in the order `core::outbox::next_step` gives:
    /// the webhook events due together (one D1 batch, one queue batch), planning again
    /// after (a failure holds back the listing row behind them); the D1 writes due
    /// together, in one batch (one round trip); delivery last, one at a time. Each row
    /// is leased first (synchronously), so two flushes never run one effect twice; a
    /// failure is retried with back-off. Rows added while flushing wait for the next
    /// round: a request's flush has one (they go to the alarm), the alarm's has a second
    /// for what its effects added (the delivery's audit and listing rows), so a create
    /// costs one alarm, not two.
    pub(super) async fn flush(&self, background: bool) {
        let rounds = if background { 2 } else { 1 };
        for _ in 0..rounds {
            if !self.flush_round(background).await {
                return;
            }
        }
    }

    /// One round of [`Self::flush`] over the rows present when it starts; whether it
    /// ran anything.
    async fn flush_round(&self, background: bool) -> bool {
        let now = now_ms();
        let mut last_seq = None;
        let mut tried: Vec<i64> = Vec::new();
        loop {
            let mut rows = match self.outbox_rows() {
                Ok(r) => r,
                Err(e) => {
                    worker::console_error!("outbox read failed: {e}");
                    return false;
                }
            };
            let last = *last_seq.get_or_insert_with(|| rows.last().map_or(0, |r| r.seq));
            rows.retain(|r| r.seq <= last);
            let due = plan(&rows, now, &self.instance, background, None).due;
            let due: Vec<&Row> = rows
                .iter()
                .filter(|r| due.contains(&r.seq) && !tried.contains(&r.seq))
                .collect();
            match next_step(&due) {
                Step::Done => return !tried.is_empty(),
                Step::One(seq) => {
                    tried.push(seq);
                    let Some(row) = due.into_iter().find(|r| r.seq == seq).cloned() else {
                        return false;
                    };
                    if !self.claim(seq) {
                        // Someone holds it after all: what follows waits for the next flush.
                        return false;
                    }
                    let result = self.run(row.effect.clone()).await;
                    self.settle(&row, &result);
                }
                Step::Webhooks(seqs) => {
                    tried.extend(&seqs);
                    // One held by a flush running here is that flush's; the rest go now.
                    let batch: Vec<Row> = due
                        .into_iter()
                        .filter(|r| seqs.contains(&r.seq) && self.claim(r.seq))
                        .cloned()
                        .collect();
                    if batch.is_empty() {
                        return false;
                    }
                    let result = self.emit_webhooks(&batch).await;
                    for row in &batch {
                        self.settle(row, &result);
                    }
                }
                Step::Batch(seqs) => {
                    tried.extend(&seqs);
                    let mut held_elsewhere = false;
                    let mut batch: Vec<Row> = Vec::with_capacity(seqs.len());
                    for r in due.into_iter().filter(|r| seqs.contains(&r.seq)) {
                        if self.claim(r.seq) {
                            batch.push(r.clone());
                        } else {
                            held_elsewhere = true;
                        }
                    }
                    // The listing row never overtakes a row it waits for.
                    if held_elsewhere {
                        batch.retain(|r| r.effect != Effect::Index);
                    }
                    if batch.is_empty() {
                        return false;
                    }
                    let effects: Vec<&Effect> = batch.iter().map(|r| &r.effect).collect();
                    let result = self.write_batch(&effects).await;
                    for row in &batch {
                        self.settle(row, &result);
                    }
                }
            }
        }
    }

    /// Emits webhook events due together, against the pause's current state: one D1
    /// batch, one queue batch. One result for all: a failure retries every one of them,
    /// which is idempotent (derived event ids, an insert that ignores a known id, a
    /// consumer claim that drops a duplicate job).
    async fn emit_webhooks(&self, rows: &[Row]) -> Result<(), ApiError> {
        let Some(p) = self.load()? else {
            return Ok(());
        };
        let mut events = Vec::with_capacity(rows.len());
        for r in rows {
            match r.effect {
                Effect::Webhook { event, nth } => events.push((event, nth)),
                _ => return Err(internal("not a webhook effect")),
            }
        }
        producer::emit_all(&self.env, &p, &events).await
    }

    /// Sends D1 writes (audit rows, the listing row) in one batch, one transaction,
    /// against the pause's current state: the listing row once, however many ask.
    pub(super) async fn write_batch(&self, effects: &[&Effect]) -> Result<(), ApiError> {
        let Some(p) = self.load()? else {
            return Ok(());
        };
        let db = Db::new(&self.env)?;
        let mut stmts = Vec::with_capacity(effects.len());
        let mut indexed = false;
        for e in effects {
            match e {
                Effect::Audit { event } => {
                    stmts.push(db::audit::insert_stmt(&db, event, p.livemode)?)
                }
                Effect::Index if !indexed => {
                    indexed = true;
                    stmts.push(db::pauses::index_stmt(&db, &p)?);
                }
                Effect::Index => {}
                Effect::Deliver { .. } | Effect::Remind { .. } | Effect::Webhook { .. } => {
                    return Err(internal("not a D1 write"));
                }
            }
        }
        db.batch(stmts).await?;
        Ok(())
    }

    /// Takes the lease on a row unless this instance already holds a live one.
    fn claim(&self, seq: i64) -> bool {
        let t = now_ms();
        self.state
            .storage()
            .sql()
            .exec(
                "UPDATE outbox SET lease_until = ?1, lease_owner = ?4 WHERE seq = ?2
                 AND (lease_owner IS NOT ?4 OR lease_until <= ?3) RETURNING seq",
                vec![
                    (t + LEASE_MS).into(),
                    seq.into(),
                    t.into(),
                    self.instance.clone().into(),
                ],
            )
            .and_then(|c| c.to_array::<serde_json::Value>())
            .map(|v| !v.is_empty())
            .unwrap_or(false)
    }

    /// Deletes a row whose effect succeeded, or schedules its retry.
    fn settle(&self, row: &Row, result: &Result<(), ApiError>) {
        let sql = self.state.storage().sql();
        match result {
            Ok(()) => {
                let _ = sql.exec("DELETE FROM outbox WHERE seq = ?", vec![row.seq.into()]);
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                worker::console_warn!(
                    "outbox effect {:?} failed (attempt {attempts}): {e}",
                    row.effect
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

    /// Sets the alarm to the next moment something is due: an effect's retry, the
    /// policy's next escalation level or reminder, or the pause's deadline. Also re-arms after a restart lost the alarm (local mode).
    pub(super) async fn arm(&self) -> Result<(), ApiError> {
        let rows = self.outbox_rows()?;
        let now = now_ms();
        // The deadline, or sooner the policy's next escalation level or reminder.
        let deadline = self
            .load()?
            .filter(|p| p.status == Status::Pending)
            .map(|p| wake_at(&p, now).map_or(p.expires_at, |w| w.min(p.expires_at)));
        let next = plan(&rows, now, &self.instance, true, deadline).wake_at;
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
