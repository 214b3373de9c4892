//! Sign-up, sign-in and the magic links that confirm both (and invitations). A link
//! request answers the same page, status and work whether or not the address has an
//! account: the link row is written either way, and the email (sent after the
//! response, so its time never shows) only goes to addresses that can use it.

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::config;
use crate::core::audit::AuditKind;
use crate::core::console::auth::{
    self, link_state, parse_email, parse_team_name, LinkPurpose, LinkRefusal,
};
use crate::core::console::html::{self, NewKeys};
use crate::core::console::Role;
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::plans::Plan;
use crate::db::console::{self as rows, LinkRow, NewLink};
use crate::http::{now_ms, random_bytes};
use crate::service::{accounts, Ctx};

use super::{audit, base_url, html_response, redirect, session, with_cookie};

/// Link lifetime: 15 minutes; `CONSOLE_LINK_TTL_SECONDS` shortens it (tests).
fn link_ttl_ms(env: &Env) -> i64 {
    let secs = config::string(env, "CONSOLE_LINK_TTL_SECONDS")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| (1..=auth::DEFAULT_LINK_TTL_SECONDS).contains(s))
        .unwrap_or(auth::DEFAULT_LINK_TTL_SECONDS);
    secs as i64 * 1000
}

pub(crate) async fn sign_up_form(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    if session::current(req, ctx).await?.is_some() {
        return Ok(redirect("/console"));
    }
    Ok(html_response(200, html::sign_up(None, "", "")))
}

pub(crate) async fn sign_in_form(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    if session::current(req, ctx).await?.is_some() {
        return Ok(redirect("/console"));
    }
    Ok(html_response(200, html::sign_in(None, "")))
}

/// A new link for `email`, stored hashed; returns the URL to email.
async fn new_link(
    ctx: &Ctx,
    base: &str,
    email: &str,
    purpose: LinkPurpose,
    team_name: Option<&str>,
    invite: Option<(&str, Role, &str)>,
) -> Result<String, ApiError> {
    let token = auth::new_token(&random_bytes::<32>());
    let now = now_ms();
    rows::insert_link(
        &ctx.db,
        &NewLink {
            token_hash: &auth::token_hash(&token),
            email,
            purpose,
            team_name,
            account_id: invite.map(|i| i.0),
            role: invite.map(|i| i.1),
            invited_by: invite.map(|i| i.2),
            now,
            expires_at: now + link_ttl_ms(&ctx.env),
        },
    )
    .await?;
    Ok(format!("{base}/console/link/{token}"))
}

/// An invitation's link: joins `email` to the inviter's team with `role`.
pub(crate) async fn invite_link(
    ctx: &Ctx,
    base: &str,
    email: &str,
    inviter: &super::Member,
    role: Role,
) -> Result<String, ApiError> {
    let invite = Some((inviter.account_id.as_str(), role, inviter.id.as_str()));
    new_link(ctx, base, email, LinkPurpose::Invite, None, invite).await
}

/// Sends after the response: the page's timing cannot tell whether it was sent.
pub(crate) fn send_later(
    wctx: &Context,
    env: &Env,
    to: String,
    subject: String,
    text: String,
    link: String,
) {
    let env = env.clone();
    wctx.wait_until(async move {
        if let Err(e) = crate::channels::send_email(&env, &to, &subject, &text, &link).await {
            worker::console_error!("console email not sent: {e}");
        }
    });
}

fn link_text(what: &str, link: &str) -> String {
    format!(
        "{what}\n\n{link}\n\nThe link works once and expires in 15 minutes. If you did not ask for it, ignore this email."
    )
}

pub(crate) async fn sign_up(
    mut req: Request,
    ctx: &Ctx,
    wctx: &Context,
) -> Result<Response, ApiError> {
    let env = &ctx.env;
    let form = match session::public_post(&mut req, env).await {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let (raw_email, raw_team) = (
        form.get("email").unwrap_or(""),
        form.get("team").unwrap_or(""),
    );
    let (email, team) = match (parse_email(raw_email), parse_team_name(raw_team)) {
        (Ok(e), Ok(t)) => (e, t),
        (Err(m), _) | (_, Err(m)) => {
            return Ok(html_response(
                400,
                html::sign_up(Some(m), raw_email, raw_team),
            ))
        }
    };
    if let Some(limited) = super::rate_limited(&req, env, &email).await {
        return Ok(limited);
    }
    let base = base_url(&req, env)?;
    let link = new_link(ctx, &base, &email, LinkPurpose::SignUp, Some(&team), None).await?;
    // An address that already has a team gets the same email: its link signs it in.
    let text = link_text(
        &format!("Confirm your email to open the PausePoint console of {team}:"),
        &link,
    );
    send_later(
        wctx,
        env,
        email.clone(),
        "Your PausePoint sign-up link".into(),
        text,
        link,
    );
    Ok(html_response(200, html::check_email(&email)))
}

pub(crate) async fn sign_in(
    mut req: Request,
    ctx: &Ctx,
    wctx: &Context,
) -> Result<Response, ApiError> {
    let env = &ctx.env;
    let form = match session::public_post(&mut req, env).await {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let raw = form.get("email").unwrap_or("");
    let email = match parse_email(raw) {
        Ok(e) => e,
        Err(m) => return Ok(html_response(400, html::sign_in(Some(m), raw))),
    };
    if let Some(limited) = super::rate_limited(&req, env, &email).await {
        return Ok(limited);
    }
    let base = base_url(&req, env)?;
    let member = rows::member_by_email(&ctx.db, &email).await?;
    // Written either way, so both paths do the same work; only a member's is sent.
    let link = new_link(ctx, &base, &email, LinkPurpose::SignIn, None, None).await?;
    if member.is_some() {
        let text = link_text("Sign in to the PausePoint console:", &link);
        send_later(
            wctx,
            env,
            email.clone(),
            "Your PausePoint sign-in link".into(),
            text,
            link,
        );
    }
    Ok(html_response(200, html::check_email(&email)))
}

fn refused(r: LinkRefusal) -> Response {
    let status = if r == LinkRefusal::Unknown { 404 } else { 410 };
    html_response(status, html::link_refused(r))
}

async fn refusal(ctx: &Ctx, hash: &str) -> Result<LinkRefusal, ApiError> {
    Ok(match rows::link(&ctx.db, hash).await? {
        None => LinkRefusal::Unknown,
        Some(l) => link_state(l.expires_at, l.used_at, now_ms())
            .err()
            .unwrap_or(LinkRefusal::Used),
    })
}

/// Opening a link changes nothing (mail scanners open links): it shows a button.
pub(crate) async fn link_get(ctx: &Ctx, token: &str) -> Result<Response, ApiError> {
    if !auth::is_token_shaped(token) {
        return Ok(refused(LinkRefusal::Unknown));
    }
    let Some(l) = rows::link(&ctx.db, &auth::token_hash(token)).await? else {
        return Ok(refused(LinkRefusal::Unknown));
    };
    if let Err(r) = link_state(l.expires_at, l.used_at, now_ms()) {
        return Ok(refused(r));
    }
    let team = match l.purpose {
        LinkPurpose::SignUp => l.team_name.as_deref(),
        _ => None,
    };
    let path = format!("/console/link/{token}");
    Ok(html_response(
        200,
        html::link_confirm(l.purpose, team, &path),
    ))
}

/// Confirms a link: uses it (once), then signs up, joins or signs in.
pub(crate) async fn link_post(req: Request, ctx: &Ctx, token: &str) -> Result<Response, ApiError> {
    if let Err(r) = session::check_origin(&req, &ctx.env) {
        return Ok(r);
    }
    if !auth::is_token_shaped(token) {
        return Ok(refused(LinkRefusal::Unknown));
    }
    let hash = auth::token_hash(token);
    let Some(link) = rows::consume_link(&ctx.db, &hash, now_ms()).await? else {
        return Ok(refused(refusal(ctx, &hash).await?));
    };
    let existing = rows::member_by_email(&ctx.db, &link.email).await?;
    match (link.purpose, existing) {
        // An invitation to another team than the address's own is refused.
        (LinkPurpose::Invite, Some(m)) if link.account_id.as_deref() != Some(&m.account_id) => {
            Ok(html_response(
                409,
                html::message(
                    "This address already belongs to a team",
                    "An address can be a member of one team. Ask the person who invited you to use another address.",
                ),
            ))
        }
        // Any other link of a member signs them in.
        (_, Some(m)) => signed_in(ctx, &m.id).await,
        (LinkPurpose::SignUp, None) => create_team(req, ctx, &link).await,
        (LinkPurpose::Invite, None) => join(ctx, &link).await,
        (LinkPurpose::SignIn, None) => Ok(refused(LinkRefusal::Unknown)),
    }
}

/// Opens a session for the member and records it; lands on the console.
async fn signed_in(ctx: &Ctx, member_id: &str) -> Result<Response, ApiError> {
    let (cookie, _) = session::start(ctx, member_id).await?;
    record_for(ctx, member_id, AuditKind::MemberSignedIn, json!({})).await;
    Ok(with_cookie(redirect("/console"), &cookie))
}

/// Audit for a member known by id (the session just opened); a failure is logged,
/// not shown: the action itself happened.
async fn record_for(ctx: &Ctx, member_id: &str, kind: AuditKind, extra: serde_json::Value) {
    let r = async {
        match rows::member_by_id(&ctx.db, member_id).await? {
            Some(m) => audit::record_member(ctx, &m.account_id, &m.id, &m.email, kind, extra).await,
            None => Ok(()),
        }
    };
    if let Err(e) = r.await {
        worker::console_error!("console audit not recorded: {e}");
    }
}

async fn create_team(req: Request, ctx: &Ctx, link: &LinkRow) -> Result<Response, ApiError> {
    let team = link.team_name.clone().unwrap_or_else(|| "My team".into());
    let opened = accounts::open(ctx, &team, Plan::Free).await?;
    let member_id = format!("mem_{}", hex(&random_bytes::<8>()));
    let account_id = &opened.account.account_id;
    let owner = Role::Owner;
    if !rows::insert_member(
        &ctx.db,
        &member_id,
        account_id,
        &link.email,
        owner,
        now_ms(),
    )
    .await?
    {
        // Another confirmation for this address won the race: it has its team.
        return Ok(refused(LinkRefusal::Used));
    }
    let (cookie, csrf) = session::start(ctx, &member_id).await?;
    let created = json!({ "name": team, "plan": Plan::Free.as_str() });
    record_for(ctx, &member_id, AuditKind::AccountCreated, created).await;
    record_for(ctx, &member_id, AuditKind::MemberSignedIn, json!({})).await;
    // The first screen: the keys, shown once, in the response that created them.
    let viewer = html::Viewer {
        team: &team,
        email: &link.email,
        role: Role::Owner,
        csrf: &csrf,
    };
    let base = base_url(&req, &ctx.env)?;
    let keys = NewKeys {
        live: &opened.account.live_key,
        test: &opened.account.test_key,
    };
    let recent = html::recent(&[], now_ms());
    let page = html::home(
        &viewer,
        &base,
        Some(&keys),
        &recent,
        None,
        super::home::email_ok(Plan::Free),
    );
    Ok(with_cookie(html_response(200, page), &cookie))
}

async fn join(ctx: &Ctx, link: &LinkRow) -> Result<Response, ApiError> {
    let (Some(account_id), Some(role)) = (link.account_id.as_deref(), link.role) else {
        return Ok(refused(LinkRefusal::Unknown));
    };
    let member_id = format!("mem_{}", hex(&random_bytes::<8>()));
    if !rows::insert_member(&ctx.db, &member_id, account_id, &link.email, role, now_ms()).await? {
        return Ok(refused(LinkRefusal::Used));
    }
    let extra = json!({ "role": role.as_str(), "invited_by": link.invited_by });
    record_for(ctx, &member_id, AuditKind::MemberJoined, extra).await;
    signed_in(ctx, &member_id).await
}

pub(crate) async fn sign_out(mut req: Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let (member, _) = match session::require_post(&mut req, ctx).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
    let cookie = session::end(ctx, &member).await?;
    if let Err(e) = audit::record(ctx, &member, AuditKind::MemberSignedOut, json!({})).await {
        worker::console_error!("console audit not recorded: {e}");
    }
    Ok(with_cookie(redirect("/console/sign-in"), &cookie))
}
