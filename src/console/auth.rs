//! Sign-up, sign-in and the magic links that confirm both (and invitations). A link
//! request answers the same page, status and work whether or not the address has an
//! account: the link row is written either way, and the email (sent after the
//! response, so its time never shows) only goes to addresses that can use it.

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::api;
use crate::config;
use crate::core::console::auth::{self, link_state, parse_email, parse_team_name, LinkRefusal};
use crate::core::console::html::{self, NewKeys};
use crate::core::console::Role;
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::http::{internal, now_ms, random_bytes};

use super::store::{self, LinkRow, NewLink};
use super::{audit, html_response, redirect, session, with_cookie};

/// Link lifetime: 15 minutes; `CONSOLE_LINK_TTL_SECONDS` shortens it (tests).
fn link_ttl_ms(env: &Env) -> i64 {
    let secs = config::string(env, "CONSOLE_LINK_TTL_SECONDS")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| (1..=auth::DEFAULT_LINK_TTL_SECONDS).contains(s))
        .unwrap_or(auth::DEFAULT_LINK_TTL_SECONDS);
    secs as i64 * 1000
}

fn origin(req: &Request, env: &Env) -> Result<String, ApiError> {
    let own = req.url().map_err(internal)?.origin().ascii_serialization();
    Ok(config::base_url(env, &own))
}

pub async fn sign_up_form(req: &Request, env: &Env) -> Result<Response, ApiError> {
    if session::current(req, env).await?.is_some() {
        return Ok(redirect("/console"));
    }
    Ok(html_response(200, html::sign_up(None, "", "")))
}

pub async fn sign_in_form(req: &Request, env: &Env) -> Result<Response, ApiError> {
    if session::current(req, env).await?.is_some() {
        return Ok(redirect("/console"));
    }
    Ok(html_response(200, html::sign_in(None, "")))
}

/// A new link for `email`, stored hashed; returns the URL to email.
async fn new_link(
    env: &Env,
    base: &str,
    email: &str,
    purpose: &str,
    team_name: Option<&str>,
    invite: Option<(&str, Role, &str)>,
) -> Result<String, ApiError> {
    let token = auth::new_token(&random_bytes::<32>());
    let now = now_ms();
    store::insert_link(
        env,
        &NewLink {
            token_hash: &auth::token_hash(&token),
            email,
            purpose,
            team_name,
            account_id: invite.map(|i| i.0),
            role: invite.map(|i| i.1.as_str()),
            invited_by: invite.map(|i| i.2),
            now,
            expires_at: now + link_ttl_ms(env),
        },
    )
    .await?;
    Ok(format!("{base}/console/link/{token}"))
}

/// An invitation's link: joins `email` to the inviter's team with `role`.
pub async fn invite_link(
    env: &Env,
    base: &str,
    email: &str,
    inviter: &super::Member,
    role: Role,
) -> Result<String, ApiError> {
    let invite = Some((inviter.account_id.as_str(), role, inviter.id.as_str()));
    new_link(env, base, email, "invite", None, invite).await
}

/// Sends after the response: the page's timing cannot tell whether it was sent.
pub fn send_later(
    ctx: &Context,
    env: &Env,
    to: String,
    subject: String,
    text: String,
    link: String,
) {
    let env = env.clone();
    ctx.wait_until(async move {
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

pub async fn sign_up(mut req: Request, env: &Env, ctx: &Context) -> Result<Response, ApiError> {
    if let Err(r) = session::check_origin(&req, env) {
        return Ok(r);
    }
    let form = match session::read_form(&mut req).await {
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
    let base = origin(&req, env)?;
    let link = new_link(env, &base, &email, "sign_up", Some(&team), None).await?;
    // An address that already has a team gets the same email: its link signs it in.
    let text = link_text(
        &format!("Confirm your email to open the PausePoint console of {team}:"),
        &link,
    );
    send_later(
        ctx,
        env,
        email.clone(),
        "Your PausePoint sign-up link".into(),
        text,
        link,
    );
    Ok(html_response(200, html::check_email(&email)))
}

pub async fn sign_in(mut req: Request, env: &Env, ctx: &Context) -> Result<Response, ApiError> {
    if let Err(r) = session::check_origin(&req, env) {
        return Ok(r);
    }
    let form = match session::read_form(&mut req).await {
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
    let base = origin(&req, env)?;
    let member = store::member_by_email(env, &email).await?;
    // Written either way, so both paths do the same work; only a member's is sent.
    let link = new_link(env, &base, &email, "sign_in", None, None).await?;
    if member.is_some() {
        let text = link_text("Sign in to the PausePoint console:", &link);
        send_later(
            ctx,
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

async fn refusal(env: &Env, hash: &str) -> Result<LinkRefusal, ApiError> {
    Ok(match store::link(env, hash).await? {
        None => LinkRefusal::Unknown,
        Some(l) => link_state(l.expires_at, l.used_at, now_ms())
            .err()
            .unwrap_or(LinkRefusal::Used),
    })
}

/// Opening a link changes nothing (mail scanners open links): it shows a button.
pub async fn link_get(env: &Env, token: &str) -> Result<Response, ApiError> {
    if !auth::is_token_shaped(token) {
        return Ok(refused(LinkRefusal::Unknown));
    }
    let Some(l) = store::link(env, &auth::token_hash(token)).await? else {
        return Ok(refused(LinkRefusal::Unknown));
    };
    if let Err(r) = link_state(l.expires_at, l.used_at, now_ms()) {
        return Ok(refused(r));
    }
    let team = match l.purpose.as_str() {
        "sign_up" => l.team_name.clone(),
        _ => None,
    };
    let path = format!("/console/link/{token}");
    Ok(html_response(
        200,
        html::link_confirm(&l.purpose, team.as_deref(), &path),
    ))
}

/// Confirms a link: uses it (once), then signs up, joins or signs in.
pub async fn link_post(req: Request, env: &Env, token: &str) -> Result<Response, ApiError> {
    if let Err(r) = session::check_origin(&req, env) {
        return Ok(r);
    }
    if !auth::is_token_shaped(token) {
        return Ok(refused(LinkRefusal::Unknown));
    }
    let hash = auth::token_hash(token);
    let Some(link) = store::consume_link(env, &hash, now_ms()).await? else {
        return Ok(refused(refusal(env, &hash).await?));
    };
    let existing = store::member_by_email(env, &link.email).await?;
    match (link.purpose.as_str(), existing) {
        // A member's link of any kind signs them in (an invite only into its own team).
        (purpose, Some(m)) if purpose != "invite" || link.account_id.as_deref() == Some(&m.account_id) => {
            signed_in(env, &m.id, audit::SIGNED_IN).await
        }
        ("invite", Some(_)) => Ok(html_response(
            409,
            html::message(
                "This address already belongs to a team",
                "An address can be a member of one team. Ask the person who invited you to use another address.",
            ),
        )),
        ("sign_up", None) => create_team(req, env, &link).await,
        ("invite", None) => join(env, &link).await,
        _ => Ok(refused(LinkRefusal::Unknown)),
    }
}

/// Opens a session for the member and records `kind`; lands on the console.
async fn signed_in(env: &Env, member_id: &str, kind: &str) -> Result<Response, ApiError> {
    let (cookie, _) = session::start(env, member_id).await?;
    record_for(env, member_id, kind, json!({})).await;
    Ok(with_cookie(redirect("/console"), &cookie))
}

/// Audit for a member known by id (the session just opened); a failure is logged,
/// not shown: the action itself happened.
async fn record_for(env: &Env, member_id: &str, kind: &str, extra: serde_json::Value) {
    let r = async {
        match store::member_by_id(env, member_id).await? {
            Some(m) => audit::record_member(env, &m.account_id, &m.id, &m.email, kind, extra).await,
            None => Ok(()),
        }
    };
    if let Err(e) = r.await {
        worker::console_error!("console audit not recorded: {e}");
    }
}

async fn create_team(req: Request, env: &Env, link: &LinkRow) -> Result<Response, ApiError> {
    let team = link.team_name.clone().unwrap_or_else(|| "My team".into());
    let opened = api::open_account(env, &team, "free").await?;
    let member_id = format!("mem_{}", hex(&random_bytes::<8>()));
    let account_id = &opened.account.account_id;
    if !store::insert_member(env, &member_id, account_id, &link.email, "owner", now_ms()).await? {
        // Another confirmation for this address won the race: it has its team.
        return Ok(refused(LinkRefusal::Used));
    }
    let (cookie, csrf) = session::start(env, &member_id).await?;
    record_for(
        env,
        &member_id,
        audit::ACCOUNT_CREATED,
        json!({ "name": team, "plan": "free" }),
    )
    .await;
    record_for(env, &member_id, audit::SIGNED_IN, json!({})).await;
    // The first screen: the keys, shown once, in the response that created them.
    let viewer = html::Viewer {
        team: &team,
        email: &link.email,
        role: Role::Owner,
        csrf: &csrf,
    };
    let base = origin(&req, env)?;
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
        super::home::email_ok("free"),
    );
    Ok(with_cookie(html_response(200, page), &cookie))
}

async fn join(env: &Env, link: &LinkRow) -> Result<Response, ApiError> {
    let (Some(account_id), Some(role)) = (link.account_id.as_deref(), link.role.as_deref()) else {
        return Ok(refused(LinkRefusal::Unknown));
    };
    let member_id = format!("mem_{}", hex(&random_bytes::<8>()));
    if !store::insert_member(env, &member_id, account_id, &link.email, role, now_ms()).await? {
        return Ok(refused(LinkRefusal::Used));
    }
    let extra = json!({ "role": role, "invited_by": link.invited_by });
    record_for(env, &member_id, audit::JOINED, extra).await;
    signed_in(env, &member_id, audit::SIGNED_IN).await
}

pub async fn sign_out(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let (member, _) = match session::require_post(&mut req, env).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
    let cookie = session::end(env, &member).await?;
    if let Err(e) = audit::record(env, &member, audit::SIGNED_OUT, json!({})).await {
        worker::console_error!("console audit not recorded: {e}");
    }
    Ok(with_cookie(redirect("/console/sign-in"), &cookie))
}
