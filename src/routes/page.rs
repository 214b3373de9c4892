//! The response page at `/r/{token}`. GET never changes anything (messaging apps
//! fetch links to build previews); the person's choice is a POST. A link past its
//! expiry and grace period answers "expired" and touches nothing; `/r/*` is
//! rate-limited per client address.

use worker::{Env, Request, Response};

use crate::config;
use crate::core::error::ApiError;
use crate::core::link::{self, LinkState, RATE_LIMIT_RETRY_AFTER_SECONDS};
use crate::core::page_form;
use crate::core::page_html::{self, CSP};
use crate::core::pause::{Pause, Responder, Status, MAX_COMMENT_CHARS};
use crate::core::protocol::{Command, Outcome, PageAnswer};
use crate::core::token;
use crate::http::{html_page, now_ms, read_body};
use crate::pause_object::client;

/// Form bodies: a 500-character comment percent-encoded can take 4.5 KB.
const MAX_FORM_BYTES: usize = 16 * 1024;

fn html(status: u16, body: String) -> Response {
    html_page(status, body, CSP, "no-referrer")
}

fn invalid() -> Response {
    html(404, page_html::invalid_link())
}

fn expired() -> Response {
    html(410, page_html::expired_link())
}

/// Per-client limit on `/r/*` (the `PAGE_RATE_LIMITER` binding, keyed by the address
/// Cloudflare saw): `Some(429 page)` beyond it. A limiter outage lets requests through.
pub(crate) async fn rate_limited(req: &Request, env: &Env) -> Option<Response> {
    let limiter = env.rate_limiter("PAGE_RATE_LIMITER").ok()?;
    let ip = req.headers().get("cf-connecting-ip").ok().flatten();
    match limiter.limit(link::client_key(ip.as_deref())).await {
        Ok(outcome) if !outcome.success => {
            let mut resp = html(
                429,
                page_html::too_many_requests(RATE_LIMIT_RETRY_AFTER_SECONDS),
            );
            let _ = resp
                .headers_mut()
                .set("retry-after", &RATE_LIMIT_RETRY_AFTER_SECONDS.to_string());
            Some(resp)
        }
        Ok(_) => None,
        Err(e) => {
            worker::console_warn!("page rate limiter unavailable: {e}");
            None
        }
    }
}

/// Status code of a final page: gone for expired and withdrawn requests.
fn final_status(p: &Pause) -> u16 {
    match (p.status, p.responded_by) {
        (Status::TimedOut | Status::Cancelled, _)
        | (Status::Responded, Some(Responder::TimeoutDefault)) => 410,
        _ => 200,
    }
}

/// What a link leads to: its pause, or a page that answers it without reading anything.
enum Link {
    /// The pause, and the approver whose link it is (None: the one recipient).
    Pause(String, Option<u8>),
    Answer(Response),
}

/// Approver `i`'s own page when it differs from the question (voted already, not
/// their turn, or the pause ended); `None` for the one recipient or to ask.
fn approver_page(p: &Pause, approver: Option<u8>, just_voted: bool) -> Option<Response> {
    let i = usize::from(approver?);
    if p.approvers.is_empty() {
        return None;
    }
    let status = if p.status == Status::Pending {
        200
    } else {
        final_status(p)
    };
    page_html::approver_view(p, i, just_voted).map(|b| html(status, b))
}

fn load(env: &Env, raw_token: &str) -> Result<Link, ApiError> {
    let secret = config::token_secret(env)?;
    let Ok(claims) = token::verify(&secret, raw_token) else {
        return Ok(Link::Answer(invalid()));
    };
    Ok(match link::state(&claims, now_ms()) {
        LinkState::Usable => Link::Pause(claims.pause_id.to_string(), claims.approver),
        LinkState::Expired => Link::Answer(expired()),
    })
}

/// Who opened or answered the page, as far as the request tells: for the audit log.
/// The country is Cloudflare's (`request.cf`), never a header the client could send.
fn seen_from(req: &Request) -> (Option<String>, Option<String>) {
    let country = req
        .cf()
        .and_then(|cf| cf.country())
        .filter(|c| !c.is_empty());
    let user_agent = req
        .headers()
        .get("user-agent")
        .ok()
        .flatten()
        .map(|ua| ua.chars().take(512).collect());
    (country, user_agent)
}

pub(crate) async fn get(
    req: &Request,
    env: &Env,
    raw_token: &str,
    path: &str,
) -> Result<Response, ApiError> {
    let (id, approver) = match load(env, raw_token)? {
        Link::Pause(id, approver) => (id, approver),
        Link::Answer(r) => return Ok(r),
    };
    // Opening the page is recorded (it changes no state): link previews show up too.
    // The object records it while pending, at most once per 10 minutes.
    let (country, user_agent) = seen_from(req);
    let ctx = serde_json::json!({
        "method": req.method().to_string(), "ip_country": country, "user_agent": user_agent,
    });
    let Some(p) = client::page_opened(env, &id, ctx).await? else {
        return Ok(invalid());
    };
    if let Some(r) = approver_page(&p, approver, false) {
        return Ok(r);
    }
    if p.status == Status::Pending {
        return Ok(html(200, page_html::question(&p, path, now_ms(), None, "")));
    }
    Ok(html(final_status(&p), page_html::final_state(&p, false)))
}

/// `GET /r/{token}?c=N` (the email buttons): the confirm view for choice N. Like
/// every GET it changes nothing.
pub(crate) async fn get_confirm(
    env: &Env,
    raw_token: &str,
    path: &str,
    choice: usize,
) -> Result<Response, ApiError> {
    let (id, approver) = match load(env, raw_token)? {
        Link::Pause(id, approver) => (id, approver),
        Link::Answer(r) => return Ok(r),
    };
    let reply = client::call(env, &id, &Command::Get { wait_ms: 0 }).await?;
    let Some(p) = reply.pause else {
        return Ok(invalid());
    };
    if let Some(r) = approver_page(&p, approver, false) {
        return Ok(r);
    }
    if p.status == Status::Pending {
        return Ok(html(
            200,
            page_html::preselected(&p, path, choice, now_ms()),
        ));
    }
    Ok(html(final_status(&p), page_html::final_state(&p, false)))
}

pub(crate) async fn post(
    mut req: Request,
    env: &Env,
    raw_token: &str,
    path: &str,
) -> Result<Response, ApiError> {
    let (id, approver) = match load(env, raw_token)? {
        Link::Pause(id, approver) => (id, approver),
        Link::Answer(r) => return Ok(r),
    };
    let body = read_body(&mut req, MAX_FORM_BYTES).await?;
    let form = page_form::parse(&body);
    let draft = form.comment.clone().unwrap_or_default();
    let ask_again = |p: &Pause, error: &str| {
        if p.status == Status::Pending {
            html(
                400,
                page_html::question(p, path, now_ms(), Some(error), &draft),
            )
        } else {
            html(final_status(p).max(409), page_html::final_state(p, false))
        }
    };
    let Some(choice) = form.choice else {
        let reply = client::call(env, &id, &Command::Get { wait_ms: 0 }).await?;
        let Some(p) = reply.pause else {
            return Ok(invalid());
        };
        return Ok(ask_again(&p, "Choose one of the options."));
    };
    let (country, user_agent) = seen_from(&req);
    let reply = client::call(
        env,
        &id,
        &Command::RespondWithComment(PageAnswer {
            choice,
            via: "page".into(),
            comment: form.comment.clone(),
            confirmed: form.confirmed,
            country,
            user_agent,
            approver,
        }),
    )
    .await?;
    let Some(p) = reply.pause else {
        return Ok(invalid());
    };
    match reply.outcome {
        Outcome::Changed => {
            if let Some(r) = approver_page(&p, approver, true) {
                return Ok(r);
            }
        }
        Outcome::AlreadyVoted | Outcome::NotYourTurn | Outcome::NotPending => {
            if let Some(r) = approver_page(&p, approver, false) {
                return Ok(r.with_status(409));
            }
        }
        _ => {}
    }
    Ok(match reply.outcome {
        Outcome::Changed => html(200, page_html::final_state(&p, true)),
        Outcome::NeedsConfirmation => html(
            200,
            page_html::confirm(&p, path, choice, form.comment.as_deref()),
        ),
        Outcome::NoSuchOption => ask_again(&p, "That is not one of the options: choose again."),
        Outcome::CommentRefused if p.answer.allow_comment => ask_again(
            &p,
            &format!("Your comment is longer than {MAX_COMMENT_CHARS} characters: shorten it."),
        ),
        Outcome::CommentRefused => ask_again(&p, "This request does not take comments."),
        _ => html(final_status(&p).max(409), page_html::final_state(&p, false)),
    })
}
