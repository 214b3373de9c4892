//! A create's D1 work in ONE batch (one transaction on the primary, one round trip):
//! claim the Idempotency-Key, insert the listing row, count the month's usage, and read
//! back what happened. Every statement is conditional on the ones before it, so the
//! monthly cap stays exact under concurrency and a list right after the create shows it.
//!
//! 1. claim: the key for this pause, if the month's cap leaves room (a claim the cap
//!    refuses would burn the key) and no claim younger than the TTL holds it.
//! 2. listing row: if the claim is this request's (or no key was given) and the cap
//!    leaves room.
//! 3. usage (live pauses only): +1 if the listing row exists. Capped plans reserve their
//!    place here; unlimited ones count for display.
//! 4. the result: whether the row exists, and the claim in force (an earlier request's).

use serde::Deserialize;

use super::{rows_of, Arg, Db};
use crate::core::error::ApiError;
use crate::core::pause::Pause;

pub(crate) use super::idempotency::IDEMPOTENCY_TTL_MS;

/// Room under the cap `?c` in the account `?a`'s period `?p` (no cap: always).
fn room(a: &str, p: &str, c: &str) -> String {
    format!(
        "({c} IS NULL OR COALESCE((SELECT pauses FROM usage_counters WHERE account_id = {a} AND period = {p}), 0) < {c})"
    )
}

/// What a create asks of D1.
pub(crate) struct NewCreate<'a> {
    /// The listing row (the pause as the object will hold it, version 1).
    pub pause: &'a Pause,
    /// `YYYY-MM` of `now`, the usage counter's period.
    pub period: &'a str,
    /// The plan's monthly cap when this create counts against it (live, capped plans).
    pub cap: Option<u32>,
    /// The Idempotency-Key and the request's fingerprint.
    pub idempotency: Option<(&'a str, &'a str)>,
    pub now: i64,
}

/// What the batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Created {
    /// The key (if any) is ours, the place is taken, the listing row is in.
    New,
    /// An earlier request with the same key and body holds the key: its pause.
    Replay(String),
    /// The key is held by an earlier request with another body.
    KeyReused,
    /// The month's cap is reached; nothing was written.
    OverQuota,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct Outcome {
    created: i64,
    held_id: Option<String>,
    held_hash: Option<String>,
}

impl Outcome {
    fn read(self, hash: Option<&str>) -> Created {
        match (self.created, self.held_id) {
            (1.., _) => Created::New,
            (_, Some(held)) if self.held_hash.as_deref() == hash => Created::Replay(held),
            (_, Some(_)) => Created::KeyReused,
            (_, None) => Created::OverQuota,
        }
    }
}

/// The statements of the batch, as SQL and binds (pure, so tested natively).
pub(crate) fn statements(c: &NewCreate) -> Vec<(String, Vec<Arg>)> {
    let p = c.pause;
    let (key, hash) = c.idempotency.unzip();
    let cap: Arg = c.cap.into();
    let mut out = Vec::with_capacity(4);
    if let (Some(key), Some(hash)) = (key, hash) {
        out.push((
            format!(
                "INSERT INTO idempotency_keys (account_id, livemode, key, pause_id, request_hash, created_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE {}
                 ON CONFLICT(account_id, livemode, key) DO UPDATE SET pause_id = excluded.pause_id,
                   request_hash = excluded.request_hash, created_at = excluded.created_at
                 WHERE idempotency_keys.created_at <= ?7",
                room("?1", "?8", "?9")
            ),
            vec![
                (&p.account_id).into(),
                p.livemode.into(),
                key.into(),
                (&p.id).into(),
                hash.into(),
                c.now.into(),
                (c.now - IDEMPOTENCY_TTL_MS).into(),
                c.period.into(),
                cap.clone(),
            ],
        ));
    }
    out.push((
        format!(
            "INSERT INTO pauses (id, account_id, status, created_at, expires_at, version, doc, livemode)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
             WHERE (?9 IS NULL OR EXISTS (SELECT 1 FROM idempotency_keys
                      WHERE account_id = ?2 AND livemode = ?8 AND key = ?9 AND pause_id = ?1))
               AND {}",
            room("?2", "?10", "?11")
        ),
        [
            super::pauses::row_args(p),
            vec![key.into(), c.period.into(), cap],
        ]
        .concat(),
    ));
    // Test-mode pauses are not counted.
    if p.livemode {
        out.push((
            "INSERT INTO usage_counters (account_id, period, pauses)
             SELECT ?1, ?2, 1 WHERE EXISTS (SELECT 1 FROM pauses WHERE id = ?3)
             ON CONFLICT(account_id, period) DO UPDATE SET pauses = pauses + 1"
                .into(),
            vec![(&p.account_id).into(), c.period.into(), (&p.id).into()],
        ));
    }
    out.push((
        "SELECT EXISTS (SELECT 1 FROM pauses WHERE id = ?1) AS created,
           i.pause_id AS held_id, i.request_hash AS held_hash
         FROM (SELECT 1) LEFT JOIN idempotency_keys i
           ON i.account_id = ?2 AND i.livemode = ?3 AND i.key = ?4 AND i.created_at > ?5"
            .into(),
        vec![
            (&p.id).into(),
            (&p.account_id).into(),
            p.livemode.into(),
            key.into(),
            (c.now - IDEMPOTENCY_TTL_MS).into(),
        ],
    ));
    out
}

/// Runs the create's batch: one round trip.
pub(crate) async fn create(db: &Db, c: &NewCreate<'_>) -> Result<Created, ApiError> {
    let stmts = statements(c)
        .iter()
        .map(|(sql, args)| db.stmt(sql, args))
        .collect::<Result<Vec<_>, _>>()?;
    let last = stmts.len() - 1;
    let res = db.batch(stmts).await?;
    let row = rows_of::<Outcome>(&res, last)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("create batch returned no outcome"))?;
    Ok(row.read(c.idempotency.map(|(_, h)| h)))
}

/// Undoes a `Created::New` whose object could not be reached: gives the place back,
/// removes the listing row and forgets the claim. Conditional on the row still being
/// version 1 (the object never indexed a change), so running it twice changes nothing.
pub(crate) async fn undo(db: &Db, c: &NewCreate<'_>) -> Result<(), ApiError> {
    let p = c.pause;
    let mut stmts = Vec::with_capacity(3);
    if p.livemode {
        stmts.push(db.stmt(
            "UPDATE usage_counters SET pauses = pauses - 1 WHERE account_id = ?1 AND period = ?2
               AND pauses > 0 AND EXISTS (SELECT 1 FROM pauses WHERE id = ?3 AND version = 1)",
            &[(&p.account_id).into(), c.period.into(), (&p.id).into()],
        )?);
    }
    stmts.push(db.stmt(
        "DELETE FROM pauses WHERE id = ?1 AND version = 1",
        &[(&p.id).into()],
    )?);
    if let Some((key, _)) = c.idempotency {
        stmts.push(db.stmt(
            "DELETE FROM idempotency_keys WHERE account_id = ?1 AND livemode = ?2 AND key = ?3 AND pause_id = ?4",
            &[(&p.account_id).into(), p.livemode.into(), key.into(), (&p.id).into()],
        )?);
    }
    db.batch(stmts).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pause::tests::sample;

    fn new_create(
        p: &Pause,
        cap: Option<u32>,
        key: Option<(&'static str, &'static str)>,
    ) -> Vec<(String, Vec<Arg>)> {
        statements(&NewCreate {
            pause: p,
            period: "2026-11",
            cap,
            idempotency: key,
            now: IDEMPOTENCY_TTL_MS + 5,
        })
    }

    #[test]
    fn one_batch_whatever_the_plan_and_mode() {
        let live = sample(None);
        let mut test = sample(None);
        test.livemode = false;
        let key = Some(("order-1", "hash"));
        // claim?, listing row, usage (live only), outcome
        assert_eq!(new_create(&live, Some(50), key).len(), 4);
        assert_eq!(new_create(&live, None, None).len(), 3);
        assert_eq!(new_create(&test, None, key).len(), 3);
        assert_eq!(new_create(&test, None, None).len(), 2);
        let s = new_create(&live, Some(50), key);
        assert!(s[0].0.starts_with("INSERT INTO idempotency_keys"));
        assert!(s[1].0.starts_with("INSERT INTO pauses"));
        assert!(s[2].0.starts_with("INSERT INTO usage_counters"));
        assert!(s[3].0.starts_with("SELECT EXISTS"));
    }

    #[test]
    fn binds_match_placeholders() {
        let p = sample(None);
        for (sql, args) in new_create(&p, Some(50), Some(("k", "h")))
            .into_iter()
            .chain(new_create(&p, None, None))
        {
            let highest = (1..=20)
                .rev()
                .find(|i| sql.contains(&format!("?{i}")))
                .unwrap_or(0);
            assert_eq!(highest, args.len(), "{sql}");
        }
        // No cap binds NULL, so the room test passes; no key binds NULL, so the claim
        // test passes.
        let s = new_create(&p, None, None);
        assert_eq!(s[0].1[8], Arg::Null);
        assert_eq!(s[0].1[10], Arg::Null);
        let s = new_create(&p, Some(7), Some(("k", "h")));
        assert_eq!(s[0].1[8], Arg::Int(7));
        assert_eq!(
            s[0].1[6],
            Arg::Int(5),
            "claims at or before now - TTL are taken over"
        );
    }

    #[test]
    fn the_outcome_row_says_what_happened() {
        let row = |created, held: Option<&str>, hash: Option<&str>| Outcome {
            created,
            held_id: held.map(str::to_string),
            held_hash: hash.map(str::to_string),
        };
        assert_eq!(row(1, Some("p1"), Some("h")).read(Some("h")), Created::New);
        assert_eq!(row(1, None, None).read(None), Created::New);
        assert_eq!(
            row(0, Some("p0"), Some("h")).read(Some("h")),
            Created::Replay("p0".into())
        );
        assert_eq!(
            row(0, Some("p0"), Some("x")).read(Some("h")),
            Created::KeyReused
        );
        assert_eq!(row(0, None, None).read(Some("h")), Created::OverQuota);
        assert_eq!(row(0, None, None).read(None), Created::OverQuota);
    }
}
