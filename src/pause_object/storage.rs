//! The object's own SQLite: the pause document, the outbox table, the audit chain's
//! head and when the page was last opened. Everything here is synchronous: writes
//! between two `.await`s commit together.

use serde::Deserialize;

use super::PauseObject;
use crate::core::audit::{self, AuditKind, ChainHead, NewEvent};
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::outbox::Effect;
use crate::core::pause::{Pause, Status};
use crate::http::{internal, now_ms, random_bytes};

const AUDIT_HEAD_TABLE: &str = "CREATE TABLE IF NOT EXISTS audit_head (k INTEGER PRIMARY KEY CHECK (k = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL)";

#[derive(Deserialize)]
struct DocRow {
    doc: String,
}

#[derive(Deserialize)]
struct AtRow {
    at: Option<i64>,
}

impl PauseObject {
    pub(super) fn ensure_schema(&self) -> Result<(), ApiError> {
        let sql = self.state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS pause (k INTEGER PRIMARY KEY CHECK (k = 1), doc TEXT NOT NULL)", None)
            .map_err(internal)?;
        sql.exec(AUDIT_HEAD_TABLE, None).map_err(internal)?;
        sql.exec(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL,
             attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,
             lease_until INTEGER NOT NULL DEFAULT 0, last_error TEXT, lease_owner TEXT)",
            None,
        )
        .map_err(internal)?;
        Ok(())
    }

    pub(super) fn load(&self) -> Result<Option<Pause>, ApiError> {
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
    /// A pause that has ended gets its signed receipt here, so every final transition
    /// (answer, vote decision, timeout, cancel) carries one: record the final audit
    /// event before committing, the receipt binds the chain head.
    pub(super) fn commit(&self, p: &mut Pause, effects: &[Effect]) -> Result<(), ApiError> {
        self.seal(p);
        let sql = self.state.storage().sql();
        let doc = serde_json::to_string(p).map_err(internal)?;
        sql.exec(
            "INSERT OR REPLACE INTO pause (k, doc) VALUES (1, ?)",
            vec![doc.into()],
        )
        .map_err(internal)?;
        for e in effects {
            self.enqueue(e)?;
        }
        if p.status != Status::Pending {
            let woken = self.waiters.borrow_mut().take_all();
            for w in woken {
                let _ = w.send(());
            }
        }
        Ok(())
    }

    fn enqueue(&self, e: &Effect) -> Result<(), ApiError> {
        let payload = serde_json::to_string(e).map_err(internal)?;
        self.state
            .storage()
            .sql()
            .exec(
                "INSERT INTO outbox (payload) VALUES (?)",
                vec![payload.into()],
            )
            .map_err(internal)?;
        Ok(())
    }

    pub(super) fn audit_head(&self) -> Result<ChainHead, ApiError> {
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
    /// object, or send `Command::Record` from outside (see `client::record`).
    pub(super) fn audit(
        &self,
        p: &Pause,
        actor: &str,
        kind: AuditKind,
        context: &serde_json::Value,
    ) -> Result<(), ApiError> {
        let sql = self.state.storage().sql();
        // Objects created before the audit log lack the table; it costs nothing to ensure.
        sql.exec(AUDIT_HEAD_TABLE, None).map_err(internal)?;
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
        self.enqueue(&Effect::Audit {
            event: Box::new(event),
        })
    }

    /// When `page.opened` was last recorded (no table: never).
    pub(super) fn last_page_open(&self) -> Option<i64> {
        self.state
            .storage()
            .sql()
            .exec("SELECT at FROM page_open WHERE k = 1", None)
            .and_then(|c| c.to_array::<AtRow>())
            .ok()
            .and_then(|rows| rows.first().and_then(|r| r.at))
    }

    pub(super) fn set_last_page_open(&self, at: i64) -> Result<(), ApiError> {
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
}
