//! The team: members and their roles, invitations (a magic link that adds the
//! address with its role) and removal. Owners and admins manage; the server checks.

use serde_json::json;
use worker::{Context, Request, Response};

use crate::core::audit::AuditKind;
use crate::core::console::auth::parse_email;
use crate::core::console::html::{self, InviteRow, MemberRow};
use crate::core::console::{can_remove, parse_invite_role, Role};
use crate::core::error::ApiError;
use crate::core::time::rfc3339;
use crate::db::console as rows;
use crate::http::{now_ms, query_param};
use crate::service::Ctx;

use super::{audit, auth, base_url, html_response, redirect, session, Member};

async fn page(
    ctx: &Ctx,
    member: &Member,
    status: u16,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Response, ApiError> {
    let people = rows::members_of(&ctx.db, &member.account_id).await?;
    let invites = if member.role.can_manage() {
        rows::pending_invites(&ctx.db, &member.account_id, now_ms()).await?
    } else {
        Vec::new()
    };
    let since: Vec<String> = people
        .iter()
        .map(|m| rfc3339(m.created_at)[..10].to_string())
        .collect();
    let members: Vec<MemberRow> = people
        .iter()
        .zip(&since)
        .map(|(m, since)| MemberRow {
            id: &m.id,
            email: &m.email,
            role: m.role,
            since,
        })
        .collect();
    let expires: Vec<String> = invites.iter().map(|i| rfc3339(i.expires_at)).collect();
    let invite_rows: Vec<InviteRow> = invites
        .iter()
        .zip(&expires)
        .map(|(i, e)| InviteRow {
            email: &i.email,
            role: i.role.map_or("", Role::as_str),
            expires: e,
        })
        .collect();
    let body = html::team(
        &member.viewer(),
        &member.id,
        &members,
        &invite_rows,
        error,
        notice,
    );
    Ok(html_response(status, body))
}

pub(crate) async fn get(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let member = match session::require(req, ctx).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
    let notice = match query_param(req, "done").as_deref() {
        Some("invited") => Some("Invitation sent. The link in it works once, for 15 minutes."),
        Some("removed") => Some("Member removed; their sessions have ended."),
        _ => None,
    };
    page(ctx, &member, 200, None, notice).await
}

fn not_allowed(what: &str) -> ApiError {
    ApiError::Forbidden(format!("Only the owner and admins can {what}."))
}

pub(crate) async fn invite(
    mut req: Request,
    ctx: &Ctx,
    wctx: &Context,
) -> Result<Response, ApiError> {
    let env = &ctx.env;
    let (member, form) = match session::require_post(&mut req, ctx).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
    if !member.role.can_manage() {
        return Err(not_allowed("invite members"));
    }
    let email = match parse_email(form.get("email").unwrap_or("")) {
        Ok(e) => e,
        Err(m) => return page(ctx, &member, 400, Some(m), None).await,
    };
    let Some(role) = parse_invite_role(form.get("role").unwrap_or("")) else {
        return page(
            ctx,
            &member,
            400,
            Some("Choose a role: admin or viewer."),
            None,
        )
        .await;
    };
    if let Some(limited) = super::rate_limited(&req, env, &email).await {
        return Ok(limited);
    }
    let existing = rows::member_by_email(&ctx.db, &email).await?;
    if existing
        .as_ref()
        .is_some_and(|m| m.account_id == member.account_id)
    {
        let m = "That address is already a member of this team.";
        return page(ctx, &member, 409, Some(m), None).await;
    }
    let base = base_url(&req, env)?;
    let link = auth::invite_link(ctx, &base, &email, &member, role).await?;
    // An address with another team (one team per address) is not told apart: the
    // invitation is recorded the same way, but no email goes to it.
    if existing.is_none() {
        let text = format!(
            "{} invited you to the PausePoint console of {} as {}:\n\n{link}\n\nThe link works once and expires in 15 minutes.",
            member.email,
            member.account_name,
            role.as_str()
        );
        let subject = format!("Join {} on PausePoint", member.account_name);
        auth::send_later(wctx, env, email.clone(), subject, text, link);
    }
    audit::record(
        ctx,
        &member,
        AuditKind::MemberInvited,
        json!({ "invitee": email, "role": role.as_str() }),
    )
    .await?;
    Ok(redirect("/console/team?done=invited"))
}

pub(crate) async fn remove(mut req: Request, ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    let (member, _) = match session::require_post(&mut req, ctx).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
    let target = rows::member_by_id(&ctx.db, id)
        .await?
        .filter(|t| t.account_id == member.account_id)
        .ok_or(ApiError::RouteNotFound)?;
    if let Err(why) = can_remove(member.role, target.role, target.id == member.id) {
        return Err(ApiError::Forbidden(why.into()));
    }
    rows::remove_member(&ctx.db, &member.account_id, &target.id).await?;
    let extra = json!({ "removed_member_id": target.id, "removed_email": target.email, "role": target.role.as_str() });
    audit::record(ctx, &member, AuditKind::MemberRemoved, extra).await?;
    Ok(redirect("/console/team?done=removed"))
}
