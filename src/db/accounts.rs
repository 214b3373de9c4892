//! `accounts`: creating one with its first live and test keys.

use super::Db;
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::keys::{self, KeyMode};
use crate::core::plans::Plan;
use crate::http::random_bytes;

pub struct CreatedAccount {
    pub account_id: String,
    pub live_key: String,
    pub test_key: String,
}

/// The account and its two keys, in one batch.
pub async fn create_account(
    db: &Db,
    name: &str,
    plan: Plan,
    now: i64,
) -> Result<CreatedAccount, ApiError> {
    let account_id = format!("acct_{}", hex(&random_bytes::<8>()));
    let mut statements = vec![db.stmt(
        "INSERT INTO accounts (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[
            (&account_id).into(),
            name.into(),
            plan.as_str().into(),
            now.into(),
        ],
    )?];
    let mut secrets = Vec::new();
    for mode in KeyMode::ALL {
        let key = keys::new_key(mode, &random_bytes::<20>());
        statements.push(db.stmt(
            "INSERT INTO api_keys (id, account_id, key_hash, mode, prefix, last4, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                format!("key_{}", hex(&random_bytes::<8>())).into(),
                (&account_id).into(),
                (&key.hash).into(),
                mode.as_str().into(),
                (&key.prefix).into(),
                (&key.last4).into(),
                now.into(),
            ],
        )?);
        secrets.push((mode, key.secret));
    }
    db.batch(statements).await?;
    let secret_of = |m: KeyMode| {
        secrets
            .iter()
            .find(|(mode, _)| *mode == m)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    Ok(CreatedAccount {
        account_id: account_id.clone(),
        live_key: secret_of(KeyMode::Live),
        test_key: secret_of(KeyMode::Test),
    })
}
