//! Who is signed in: the `pp_session` cookie (its token stored hashed), the member it
//! belongs to, and the checks every state-changing form passes (same origin, and the
//! session's CSRF token in the `csrf` field).

use worker::{Env, Request, Response};

use crate::config;
use crate::core::console::auth::{self, session_from_cookie, token_hash};
use crate::core::console::form::Form;
use crate::core::console::html::{self, Viewer};
use crate::core::console::Role;
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::keys::KeyMode;
use crate::core::plans::Plan;
use crate::db::{console as rows, Caller};
use crate::http::{now_ms, random_bytes, read_body};
use crate::service::Ctx;

use super::{html_response, redirect};

/// Forms are small; a body past this is refused.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// A signed-in member.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub id: String,
    pub account_id: String,
    pub account_name: String,
    pub email: String,
    pub role: Role,
    pub plan: Plan,
    /// The session's CSRF token: every state-changing form carries it as `csrf`.
    pub csrf: String,
    session_hash: String,
}

impl Member {
    /// The same `Caller` the API builds from a key, so the console calls the same
    /// service functions. Its `key_id` names the member: the pause's audit rows
    /// record `member:<id>` as the actor.
    pub fn caller(&self, livemode: bool) -> Caller {
        Caller {
            key_id: format!("member:{}", self.id),
            mode: if livemode {
                KeyMode::Live
            } else {
                KeyMode::Test
            },
            account_id: self.account_id.clone(),
            account_name: self.account_name.clone(),
            plan: self.plan,
        }
    }

    /// What the shell shows about the member.
    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            team: &self.account_name,
            email: &self.email,
            role: self.role,
            csrf: &self.csrf,
        }
    }
}

fn cookie_token(req: &Request) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    session_from_cookie(&header).map(str::to_string)
}

/// The member of the request's session, if it has a live one.
pub(crate) async fn current(req: &Request, ctx: &Ctx) -> Result<Option<Member>, ApiError> {
    let Some(token) = cookie_token(req) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let Some(row) = rows::session(&ctx.db, &hash, now_ms()).await? else {
        return Ok(None);
    };
    Ok(Some(Member {
        plan: row.plan()?,
        id: row.member_id,
        account_id: row.account_id,
        account_name: row.account_name,
        email: row.email,
        role: row.role,
        csrf: auth::csrf_token(&row.csrf_secret),
        session_hash: hash,
    }))
}

/// The signed-in member, or the response to send instead: a redirect to sign-in
/// (or a 500 page when the database fails).
pub(crate) async fn require(req: &Request, ctx: &Ctx) -> Result<Member, Response> {
    match current(req, ctx).await {
        Ok(Some(m)) => Ok(m),
        Ok(None) => Err(redirect("/console/sign-in")),
        Err(e) => Err(super::error_page(&e)),
    }
}

/// The origins our own pages are served from.
fn own_origins(req: &Request, env: &Env) -> Vec<String> {
    let mut own: Vec<String> = req
        .url()
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .into_iter()
        .collect();
    if let Some(b) = config::string(env, "PUBLIC_BASE_URL") {
        own.push(b.trim_end_matches('/').to_string());
    }
    own
}

/// Refuses a state-changing request sent from another site.
pub(crate) fn check_origin(req: &Request, env: &Env) -> Result<(), Response> {
    let h = |name: &str| req.headers().get(name).ok().flatten();
    let own = own_origins(req, env);
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    if auth::same_origin(h("origin").as_deref(), h("sec-fetch-site").as_deref(), &own) {
        Ok(())
    } else {
        Err(forbidden_form())
    }
}

fn forbidden_form() -> Response {
    html_response(
        403,
        html::message(
            "This form cannot be accepted",
            "It came from another site, or from a page that has expired. Reload the page and try again.",
        ),
    )
}

/// Reads a form body (16 KB at most).
pub(crate) async fn read_form(req: &mut Request) -> Result<Form, Response> {
    read_body(req, MAX_FORM_BYTES)
        .await
        .map(|b| Form::parse(&b))
        .map_err(|e| super::error_page(&e))
}

/// A form posted before sign-in (sign-up, sign-in): same origin, then the form.
pub(crate) async fn public_post(req: &mut Request, env: &Env) -> Result<Form, Response> {
    check_origin(req, env)?;
    read_form(req).await
}

/// A state-changing request of a signed-in member: same origin, a live session, and
/// the session's CSRF token in the form. Returns the member and the form.
pub(crate) async fn require_post(req: &mut Request, ctx: &Ctx) -> Result<(Member, Form), Response> {
    check_origin(req, &ctx.env)?;
    let member = require(req, ctx).await?;
    let form = read_form(req).await?;
    if !auth::csrf_ok_token(&member.csrf, form.get("csrf")) {
        return Err(forbidden_form());
    }
    Ok((member, form))
}

/// Opens a session for `member_id`: returns the `Set-Cookie` value and the session's
/// CSRF token.
pub(crate) async fn start(ctx: &Ctx, member_id: &str) -> Result<(String, String), ApiError> {
    let token = auth::new_token(&random_bytes::<32>());
    let csrf_secret = hex(&random_bytes::<32>());
    let now = now_ms();
    rows::insert_session(
        &ctx.db,
        &token_hash(&token),
        member_id,
        &csrf_secret,
        now,
        now + auth::SESSION_TTL_MS,
    )
    .await?;
    Ok((
        auth::session_cookie(Some(&token), !config::is_local(&ctx.env)),
        auth::csrf_token(&csrf_secret),
    ))
}

/// Ends the member's session: returns the `Set-Cookie` value that clears it.
pub(crate) async fn end(ctx: &Ctx, member: &Member) -> Result<String, ApiError> {
    rows::delete_session(&ctx.db, &member.session_hash).await?;
    Ok(auth::session_cookie(None, !config::is_local(&ctx.env)))
}
