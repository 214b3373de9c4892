//! `usage_counters`: the month's live pauses per account.

use serde::Deserialize;
use serde_json::Value;

use super::Db;
use crate::core::error::ApiError;

/// Takes one pause from the month's allowance; false when it is used up. A single
/// conditional upsert, so concurrent creates can never overshoot the cap.
pub async fn reserve_pause(
    db: &Db,
    account_id: &str,
    period: &str,
    cap: u32,
) -> Result<bool, ApiError> {
    let row = db
        .first::<Value>(
            "INSERT INTO usage_counters (account_id, period, pauses) VALUES (?1, ?2, 1)
             ON CONFLICT(account_id, period) DO UPDATE SET pauses = pauses + 1 WHERE pauses < ?3
             RETURNING pauses",
            &[account_id.into(), period.into(), cap.into()],
        )
        .await?;
    Ok(row.is_some() && cap > 0)
}

/// Gives a reservation back (the create did not happen, or was a replay).
pub async fn release_pause(db: &Db, account_id: &str, period: &str) -> Result<(), ApiError> {
    db.run(
        "UPDATE usage_counters SET pauses = pauses - 1 WHERE account_id = ?1 AND period = ?2 AND pauses > 0",
        &[account_id.into(), period.into()],
    )
    .await
}

/// Counts live pauses created this period without taking one (accounts without a cap).
pub async fn count_pause(db: &Db, account_id: &str, period: &str) -> Result<(), ApiError> {
    db.run(
        "INSERT INTO usage_counters (account_id, period, pauses) VALUES (?1, ?2, 1)
         ON CONFLICT(account_id, period) DO UPDATE SET pauses = pauses + 1",
        &[account_id.into(), period.into()],
    )
    .await
}

pub async fn usage(db: &Db, account_id: &str, period: &str) -> Result<u32, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        pauses: u32,
    }
    let row = db
        .first::<Row>(
            "SELECT pauses FROM usage_counters WHERE account_id = ?1 AND period = ?2",
            &[account_id.into(), period.into()],
        )
        .await?;
    Ok(row.map_or(0, |r| r.pauses))
}
