//! Opening an account: the one way accounts are made, by `/admin/accounts` and by the
//! console's sign-up.

use super::Ctx;
use crate::core::error::ApiError;
use crate::core::plans::Plan;
use crate::db::{self, accounts::CreatedAccount};
use crate::http::now_ms;

/// A new account with everything it starts with; the secrets are shown once.
pub(crate) struct Opened {
    pub account: CreatedAccount,
    pub webhook_secret: String,
    pub test_webhook_secret: String,
}

/// The account, its live and test keys, and its two webhook signing secrets.
pub(crate) async fn open(ctx: &Ctx, name: &str, plan: Plan) -> Result<Opened, ApiError> {
    let db = &ctx.db;
    let account = db::accounts::create_account(db, name, plan, now_ms()).await?;
    let webhook_secret =
        db::webhooks::create_secret(db, &account.account_id, true, now_ms()).await?;
    let test_webhook_secret =
        db::webhooks::create_secret(db, &account.account_id, false, now_ms()).await?;
    Ok(Opened {
        account,
        webhook_secret,
        test_webhook_secret,
    })
}
