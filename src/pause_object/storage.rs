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

/// The object's tables, as one string of statements (one `exec`).
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS pause (k INTEGER PRIMARY KEY CHECK (k = 1), doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_head (k INTEGER PRIMARY KEY CHECK (k = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL DEFAULT 0, last_error TEXT, lease_owner TEXT)";

const LOAD: &str = "SELECT doc FROM pause WHERE k = 1";
const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE k = 1";

/// The pause of a `LOAD` read, if there is one.
fn parse_doc(rows: Vec<DocRow>) -> Result<Option<Pause>, ApiError> {
    rows.first()
        .map(|r| serde_json::from_str(&r.doc).map_err(internal))
        .transpose()
}

#[derive(Deserialize)]
struct DocRow {
    doc: String,
}

#[derive(Deserialize)]
struct AtRow {
    at: Option<i64>,
}

impl PauseObject {
    /// Creates the tables if need be and reads the pause, in one call: the schema's
    /// statements and the read run as one `exec` (its cursor is the last statement's).
    pub(super) fn ensure_schema_and_load(&self) -> Result<Option<Pause>, ApiError> {
        let rows: Vec<DocRow> = self
            .state
            .storage()
            .sql()
            .exec(&format!("{SCHEMA}; {LOAD}"), None)
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        parse_doc(rows)
    }

    pub(super) fn load(&self) -> Result<Option<Pause>, ApiError> {
        // One query; an object that was never created has no table: simply not found.
        let rows: Vec<DocRow> = match self.state.storage().sql().exec(LOAD, None) {
            Ok(cursor) => cursor.to_array().map_err(internal)?,
            Err(e) if e.to_string().contains("no such table") => return Ok(None),
            Err(e) => return Err(internal(e)),
        };
        parse_doc(rows)
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
        self.enqueue(effects)?;
        if p.status != Status::Pending {
            let woken = self.waiters.borrow_mut().take_all();
            for w in woken {
                let _ = w.send(());
            }
        }
        Ok(())
    }

    /// Adds effects to the outbox, in order, with one statement.
    pub(super) fn enqueue(&self, effects: &[Effect]) -> Result<(), ApiError> {
        if effects.is_empty() {
            return Ok(());
        }
        let mut payloads: Vec<worker::SqlStorageValue> = Vec::with_capacity(effects.len());
        for e in effects {
            payloads.push(serde_json::to_string(e).map_err(internal)?.into());
        }
        let values = vec!["(?)"; effects.len()].join(", ");
        self.state
            .storage()
            .sql()
            .exec(
                &format!("INSERT INTO outbox (payload) VALUES {values}"),
                payloads,
            )
            .map_err(internal)?;
        Ok(())
    }

    pub(super) fn audit_head(&self) -> Result<ChainHead, ApiError> {
        // Pauses created before the audit log have no table: an empty chain.
        Ok(self.read_head(HEAD).unwrap_or_default())
    }

    /// The chain's head as `query` (ending with [`HEAD`]) reads it; no row: empty.
    fn read_head(&self, query: &str) -> Result<ChainHead, ApiError> {
        #[derive(Deserialize)]
        struct HeadRow {
            seq: i64,
            hash: String,
        }
        let rows: Vec<HeadRow> = self
            .state
            .storage()
            .sql()
            .exec(query, None)
            .and_then(|c| c.to_array())
            .map_err(internal)?;
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
        // Objects created before the audit log lack the table: ensured in the same call.
        let head = self.read_head(&format!("{AUDIT_HEAD_TABLE}; {HEAD}"))?;
        self.append_audit(p, actor, kind, context, &head)?;
        Ok(())
    }

    /// Appends an event to the chain whose head is `head` (as [`Self::audit`]), and
    /// returns the new head. The fresh object of a create knows its head is empty.
    pub(super) fn append_audit(
        &self,
        p: &Pause,
        actor: &str,
        kind: AuditKind,
        context: &serde_json::Value,
        head: &ChainHead,
    ) -> Result<ChainHead, ApiError> {
        let sql = self.state.storage().sql();
        let (event, next) = audit::append(
            head,
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
            vec![next.seq.into(), next.hash.clone().into()],
        )
        .map_err(internal)?;
        crate::metrics::audit_event(&self.env, p, kind, context);
        self.enqueue(&[Effect::Audit {
            event: Box::new(event),
        }])?;
        Ok(next)
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
