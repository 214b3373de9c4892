//! Runs the outbox: `flush` runs the effects `core::outbox::plan` says are due, `arm`
//! sets the alarm to the wake time it gives. The rule itself is pure and lives in core.

use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::PauseObject;
use crate::core::error::ApiError;
use crate::core::outbox::{plan, Effect, Row};
use crate::core::pause::Status;
use crate::core::retry::outbox_delay_ms;
use crate::http::{internal, now_ms};

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

    /// Runs the effects that are due, one at a time, planning again after each (a
    /// failure holds back the listing row behind it). Each is leased first
    /// (synchronously), so two flushes never run one effect twice; a failure is
    /// retried with back-off. Rows added while flushing wait for the next flush.
    pub(super) async fn flush(&self, background: bool) {
        let now = now_ms();
        let mut last_seq = None;
        let mut tried: Vec<i64> = Vec::new();
        loop {
            let mut rows = match self.outbox_rows() {
                Ok(r) => r,
                Err(e) => return worker::console_error!("outbox read failed: {e}"),
            };
            let last = *last_seq.get_or_insert_with(|| rows.last().map_or(0, |r| r.seq));
            rows.retain(|r| r.seq <= last);
            let due = plan(&rows, now, &self.instance, background, None).due;
            let Some(row) = due
                .iter()
                .find(|s| !tried.contains(s))
                .and_then(|s| rows.into_iter().find(|r| r.seq == *s))
            else {
                return;
            };
            tried.push(row.seq);
            if !self.claim(row.seq) {
                // Someone holds it after all: what follows waits for the next flush.
                return;
            }
            self.run_row(row).await;
        }
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

    async fn run_row(&self, row: Row) {
        let sql = self.state.storage().sql();
        match self.run(row.effect.clone()).await {
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

    /// Sets the alarm to the next moment something is due: an effect's retry or the
    /// pause's deadline. Also re-arms after a restart lost the alarm (local mode).
    pub(super) async fn arm(&self) -> Result<(), ApiError> {
        let rows = self.outbox_rows()?;
        let deadline = self
            .load()?
            .filter(|p| p.status == Status::Pending)
            .map(|p| p.expires_at);
        let next = plan(&rows, now_ms(), &self.instance, true, deadline).wake_at;
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
