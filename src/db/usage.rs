//! `usage_counters`: the month's live pauses per account (counted in the create's
//! batch, `db::create`).

use serde::Deserialize;

use super::Db;
use crate::core::error::ApiError;

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
