//! Provider callbacks: Twilio's delivery status reports, the email API's delivery
//! events and Slack's button clicks. All are verified with the provider's request signature before anything is read
//! from them; a forged callback gets 403 and changes nothing.

use worker::{Env, Request, Response};

use crate::channels;
use crate::config;
use crate::core::error::ApiError;
use crate::core::ids::PauseId;
use crate::core::protocol::{Command, Outcome, SlackUser};
use crate::core::providers::{email, slack, twilio};
use crate::http::{now_ms, query_param, read_body};
use crate::pause_object::client;

const MAX_CALLBACK_BYTES: usize = 64 * 1024;

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

fn forged() -> ApiError {
    ApiError::Forbidden("The request signature is missing or does not match.".into())
}

/// Only well-formed ids reach a Durable Object (no object is made for junk).
fn known_id(raw: &str) -> Result<String, ApiError> {
    PauseId::parse(raw)
        .map(|id| id.to_string())
        .ok_or(ApiError::PauseNotFound)
}

fn empty_ok() -> Result<Response, ApiError> {
    Ok(Response::empty()?.with_status(200))
}

/// `POST /callbacks/twilio/status?pause_id=...`: `MessageStatus` and `ErrorCode`.
pub(crate) async fn twilio_status(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    // Capped first (413 while it streams), before anything else is looked at.
    let body = read_body(&mut req, MAX_CALLBACK_BYTES).await?;
    let token = channels::twilio_auth_token(env).ok_or_else(forged)?;
    let url = req.url()?;
    // The URL Twilio signed is the StatusCallback we gave it, built on the same base.
    let signed_url = format!(
        "{}{}{}",
        config::base_url(env, &url.origin().ascii_serialization()),
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let sig = header(&req, "x-twilio-signature").ok_or_else(forged)?;
    if !twilio::verify(&token, &signed_url, &params, &sig) {
        return Err(forged());
    }
    let field = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let pause_id = query_param(&req, "pause_id").ok_or_else(|| ApiError::missing("pause_id"))?;
    let pause_id = known_id(&pause_id)?;
    let status = field("MessageStatus").ok_or_else(|| ApiError::missing("MessageStatus"))?;
    let error_code = field("ErrorCode").filter(|c| !c.is_empty() && c != "0");
    let error_message = error_code.as_deref().map(|c| {
        twilio::explain(c)
            .map(str::to_string)
            .unwrap_or_else(|| format!("Twilio reported error {c}."))
    });
    client::call(
        env,
        &pause_id,
        &Command::DeliveryReport {
            provider: twilio::PROVIDER.into(),
            message_id: field("MessageSid"),
            status,
            error_code,
            error_message,
        },
    )
    .await?;
    empty_ok()
}

/// `POST /callbacks/email/events`: the email API's signed events (Standard Webhooks,
/// as Resend sends them through Svix). One account-wide endpoint: the pause comes from
/// the `pause_id` tag the send carried; the object matches the email id itself. A
/// bounce fails the delivery (an approver's next contact is tried); a replay changes
/// nothing more. Events about mail that is not ours, or that we do not act on, get 200.
pub(crate) async fn email_events(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let body = read_body(&mut req, MAX_CALLBACK_BYTES).await?;
    let secret = channels::resend_webhook_secret(env).ok_or_else(forged)?;
    // Svix's header names, or the Standard Webhooks ones.
    let either = |a: &str, b: &str| header(&req, a).or_else(|| header(&req, b));
    let id = either("svix-id", "webhook-id").ok_or_else(forged)?;
    let ts = either("svix-timestamp", "webhook-timestamp").ok_or_else(forged)?;
    let sig = either("svix-signature", "webhook-signature").ok_or_else(forged)?;
    if !email::verify_event(&secret, &id, &ts, &body, &sig, now_ms() / 1000) {
        return Err(forged());
    }
    let event = email::parse_event(&body).ok_or_else(|| {
        ApiError::invalid(
            "data.email_id",
            "Expected an email event with a type and data.email_id.",
        )
    })?;
    let (Some((status, error_code, error_message)), Some(pause_id)) = (
        email::report(&event.kind),
        event.pause_id.as_deref().and_then(PauseId::parse),
    ) else {
        return empty_ok();
    };
    client::call(
        env,
        &pause_id.to_string(),
        &Command::DeliveryReport {
            provider: email::PROVIDER.into(),
            message_id: Some(event.email_id),
            status: status.into(),
            error_code,
            error_message,
        },
    )
    .await?;
    empty_ok()
}

/// `POST /callbacks/slack/interactivity`: a button click resolves the pause through
/// the same single-use path as the page, then the message shows the decision.
pub(crate) async fn slack_interactivity(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let body = read_body(&mut req, MAX_CALLBACK_BYTES).await?;
    let secret = channels::slack_signing_secret(env).ok_or_else(forged)?;
    let ts = header(&req, "x-slack-request-timestamp").ok_or_else(forged)?;
    let sig = header(&req, "x-slack-signature").ok_or_else(forged)?;
    if !slack::verify(&secret, &ts, &body, &sig, now_ms() / 1000) {
        return Err(forged());
    }
    let click = slack::parse_click(&body).ok_or_else(|| {
        ApiError::invalid(
            "payload",
            "Expected a block_actions payload with a PausePoint button.",
        )
    })?;
    let pause_id = known_id(&click.pause_id)?;
    let reply = client::call(
        env,
        &pause_id,
        &Command::Respond {
            choice: click.choice,
            approver: click.approver,
            via: "slack".into(),
            country: None,
            user_agent: None,
            slack_user: Some(SlackUser {
                id: click.user_id.clone(),
                name: click.user_name.clone(),
            }),
        },
    )
    .await?;
    let Some(p) = reply.pause else {
        return Err(ApiError::PauseNotFound);
    };
    // Replace the buttons: with the decision and its author, or, for a click that
    // came too late, with how the pause ended.
    // An approver's message shows their own vote (the pause may still be pending)
    // and is found through their own delivery.
    let approver = click
        .approver
        .map(usize::from)
        .filter(|i| *i < p.approvers.len());
    let (chosen, delivery) = match approver {
        Some(i) => (
            p.vote_of(i).map(|v| v.choice.clone()),
            p.approvers[i].delivery.clone(),
        ),
        None => (p.response_choice.clone(), p.delivery.clone()),
    };
    let outcome = match reply.outcome {
        Outcome::Changed => Some(slack::decided_by(
            chosen.as_deref().unwrap_or(""),
            &click.user_id,
        )),
        Outcome::NotPending => Some(slack::already_final(
            p.status.as_str(),
            p.response_choice.as_deref(),
            p.responded_via.as_deref(),
        )),
        _ => None,
    };
    if let (Some(outcome), Some((base, token))) = (outcome, channels::slack_token(env)) {
        let channel = delivery.conversation.clone().or(click.channel);
        let ts = delivery.message_id.clone().or(click.message_ts);
        if let (Some(channel), Some(ts)) = (channel, ts) {
            let update =
                slack::final_message(&channel, &ts, &p.requester_name, &p.message, &outcome);
            match channels::slack_call(&base, &token, "chat.update", &update).await {
                Ok((200, t)) if t.contains("\"ok\":true") => {}
                // Slack's `error` code only: its answer may quote the message back.
                Ok((s, t)) => worker::console_warn!(
                    "chat.update for {}: HTTP {s} {}",
                    p.id,
                    serde_json::from_str::<serde_json::Value>(&t)
                        .ok()
                        .and_then(|v| v["error"].as_str().map(str::to_string))
                        .unwrap_or_default()
                ),
                Err(e) => worker::console_warn!("chat.update for {}: {e}", p.id),
            }
        }
    }
    empty_ok()
}
