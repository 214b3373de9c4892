//! Delivery of the question to the person, through the provider of the pause's
//! channel: Twilio (SMS, WhatsApp), an email API in Resend's wire format, Slack.
//! With no provider configured for a channel, local mode puts the message in the local
//! outbox (logged, and readable at `GET /dev/outbox`); production records a permanent
//! failure (`channel_not_configured`) that names the settings to add. Test-mode pauses
//! (made with a `pp_test_` key) always go to the outbox, never to a provider, readable
//! at `GET /v1/test/outbox`. Outside local mode no log line carries the response
//! link: it is a bearer credential.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use crate::config;
use crate::core::delivery::DeliveryOutcome;
use crate::core::message::compose_text;
use crate::core::pause::{Channel, Pause};
use crate::core::providers::{self, email, slack, twilio};
use crate::db::{self, Db};
use crate::http::now_ms;

pub const LOCAL_OUTBOX: &str = "local_outbox";

const TWILIO_API_BASE: &str = "https://api.twilio.com";
const SLACK_API_BASE: &str = "https://slack.com/api";
const RESEND_API_BASE: &str = "https://api.resend.com";

/// Where a pause's message goes, with the settings it needs.
pub enum Route {
    Outbox,
    /// Production, live pause, no provider set up for the channel: fails for good.
    NotConfigured(Channel),
    Twilio {
        base: String,
        account_sid: String,
        auth_token: String,
        sender: twilio::Sender,
        whatsapp_template: Option<String>,
    },
    Email {
        base: String,
        key: String,
        from: String,
    },
    Slack {
        base: String,
        token: String,
    },
}

impl Route {
    pub fn provider(&self) -> &'static str {
        match self {
            Route::Outbox => LOCAL_OUTBOX,
            Route::NotConfigured(c) => providers::provider_of(*c),
            Route::Twilio { .. } => twilio::PROVIDER,
            Route::Email { .. } => email::PROVIDER,
            Route::Slack { .. } => slack::PROVIDER,
        }
    }

    /// Can an attempt whose outcome is unknown (crash during the call) be repeated
    /// without a second message? The outbox writes by id; the email API takes an
    /// idempotency key. Twilio and Slack have no such key.
    pub fn safe_to_repeat(&self) -> bool {
        matches!(
            self,
            Route::Outbox | Route::NotConfigured(_) | Route::Email { .. }
        )
    }
}

fn var(env: &Env, name: &str) -> Option<String> {
    config::string(env, name).or_else(|| {
        env.secret(name)
            .ok()
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty())
    })
}

fn base(env: &Env, name: &str, default: &str) -> String {
    var(env, name)
        .unwrap_or_else(|| default.into())
        .trim_end_matches('/')
        .to_string()
}

pub fn slack_token(env: &Env) -> Option<(String, String)> {
    Some((
        base(env, "SLACK_API_BASE", SLACK_API_BASE),
        var(env, "SLACK_BOT_TOKEN")?,
    ))
}

pub fn twilio_auth_token(env: &Env) -> Option<String> {
    var(env, "TWILIO_AUTH_TOKEN")
}

pub fn slack_signing_secret(env: &Env) -> Option<String> {
    var(env, "SLACK_SIGNING_SECRET")
}

/// The `whsec_` secret the email provider signs its events with.
pub fn resend_webhook_secret(env: &Env) -> Option<String> {
    var(env, "RESEND_WEBHOOK_SECRET")
}

/// Test mode goes to the outbox; so do unconfigured channels in local mode.
pub fn route(env: &Env, p: &Pause) -> Route {
    if !p.livemode {
        return Route::Outbox;
    }
    let twilio = |sender: Option<twilio::Sender>, template: Option<String>| -> Option<Route> {
        Some(Route::Twilio {
            base: base(env, "TWILIO_API_BASE", TWILIO_API_BASE),
            account_sid: var(env, "TWILIO_ACCOUNT_SID")?,
            auth_token: var(env, "TWILIO_AUTH_TOKEN")?,
            sender: sender?,
            whatsapp_template: template,
        })
    };
    let r = match p.channel {
        Channel::Sms => twilio(
            var(env, "TWILIO_FROM")
                .map(twilio::Sender::From)
                .or_else(|| {
                    var(env, "TWILIO_MESSAGING_SERVICE_SID").map(twilio::Sender::MessagingService)
                }),
            None,
        ),
        Channel::Whatsapp => twilio(
            var(env, "TWILIO_WHATSAPP_FROM").map(|f| twilio::Sender::From(twilio::whatsapp(&f))),
            var(env, "TWILIO_WHATSAPP_CONTENT_SID"),
        ),
        Channel::Email => (|| {
            Some(Route::Email {
                base: base(env, "RESEND_API_BASE", RESEND_API_BASE),
                key: var(env, "RESEND_API_KEY")?,
                from: var(env, "EMAIL_FROM")?,
            })
        })(),
        Channel::Slack => slack_token(env).map(|(base, token)| Route::Slack { base, token }),
    };
    match r {
        Some(r) => r,
        None if config::is_local(env) => Route::Outbox,
        None => Route::NotConfigured(p.channel),
    }
}

/// The origin the pause's link points to: callbacks are addressed to the same place.
fn public_base(p: &Pause) -> &str {
    p.link
        .rsplit_once("/r/")
        .map_or(p.link.as_str(), |(b, _)| b)
}

pub fn twilio_status_callback(p: &Pause) -> String {
    format!(
        "{}/callbacks/twilio/status?pause_id={}",
        public_base(p),
        p.id
    )
}

/// Sends `p`'s question as its `channel`/`recipient`/`link` say. `contact` is the
/// approver and the index of their contact in use when `p` is addressed to an
/// approver (`policy::delivery::addressed`): it keys the message (outbox row, email
/// idempotency key) and goes into Slack's buttons. `reminder` is the reminder's
/// number when this is one (its own key: a message of its own).
pub async fn deliver(
    env: &Env,
    p: &Pause,
    route: &Route,
    contact: Option<(usize, u8)>,
    reminder: Option<u8>,
) -> DeliveryOutcome {
    let mut message_key = match contact {
        None => p.id.clone(),
        Some((i, c)) => format!("{}.a{i}.c{c}", p.id),
    };
    if let Some(n) = reminder {
        message_key.push_str(&format!(".r{n}"));
    }
    let approver = contact.map(|(i, _)| i as u8);
    match route {
        Route::Outbox => to_outbox(env, p, &message_key).await,
        Route::NotConfigured(c) => providers::not_configured(*c),
        Route::Twilio {
            base,
            account_sid,
            auth_token,
            sender,
            whatsapp_template,
        } => {
            let (to, content) = match (p.channel, whatsapp_template) {
                (Channel::Whatsapp, Some(sid)) => (
                    twilio::whatsapp(&p.recipient),
                    twilio::Content::Template {
                        sid: sid.clone(),
                        variables: twilio::template_variables(
                            &p.requester_name,
                            &p.message,
                            &p.link,
                        ),
                    },
                ),
                (Channel::Whatsapp, None) => (
                    twilio::whatsapp(&p.recipient),
                    twilio::Content::Body(text(p)),
                ),
                _ => (p.recipient.clone(), twilio::Content::Body(text(p))),
            };
            let body = twilio::message_form(&to, sender, &content, &twilio_status_callback(p));
            let auth = format!(
                "Basic {}",
                STANDARD.encode(format!("{account_sid}:{auth_token}"))
            );
            let url = format!("{base}/2010-04-01/Accounts/{account_sid}/Messages.json");
            match post(
                &url,
                &[
                    ("authorization", &auth),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                body,
            )
            .await
            {
                Ok((status, text)) => twilio::classify(status, &text),
                Err(e) => network(twilio::PROVIDER, e),
            }
        }
        Route::Email { base, key, from } => {
            let body = email::send_body(
                &p.id,
                from,
                &p.recipient,
                &p.requester_name,
                &p.message,
                &p.options,
                &p.link,
            );
            let auth = format!("Bearer {key}");
            // Same key on every attempt: the API sends one email per message (the
            // pause's, an approver's contact's, a reminder's).
            let idem = format!("pausepoint-{message_key}");
            match post(
                &format!("{base}/emails"),
                &[
                    ("authorization", &auth),
                    ("content-type", "application/json"),
                    ("idempotency-key", &idem),
                ],
                body.to_string(),
            )
            .await
            {
                Ok((status, text)) => email::classify(status, &text),
                Err(e) => network(email::PROVIDER, e),
            }
        }
        Route::Slack { base, token } => {
            let body = slack::post_message(
                &p.recipient,
                &p.id,
                approver,
                &p.requester_name,
                &p.message,
                &p.options,
                &p.answer.danger,
                &p.link,
            );
            match slack_call(base, token, "chat.postMessage", &body).await {
                Ok((status, text)) => slack::classify(status, &text),
                Err(e) => network(slack::PROVIDER, e),
            }
        }
    }
}

fn text(p: &Pause) -> String {
    compose_text(&p.requester_name, &p.message, &p.link)
}

fn network(provider: &str, e: String) -> DeliveryOutcome {
    DeliveryOutcome::Transient {
        provider: provider.into(),
        message: format!("network: {e}"),
    }
}

async fn to_outbox(env: &Env, p: &Pause, key: &str) -> DeliveryOutcome {
    let text = text(p);
    if config::is_local(env) {
        // The developer's own machine: the log shows the message and its link.
        worker::console_log!(
            "[outbox] {} to {}: {}",
            p.channel.as_str(),
            p.recipient,
            text.replace('\n', " | ")
        );
    } else {
        worker::console_log!(
            "[outbox] {} message of test-mode pause {} kept in the test outbox",
            p.channel.as_str(),
            p.id
        );
    }
    let put =
        async { db::dev_outbox::put_dev_outbox(&Db::new(env)?, key, p, &text, now_ms()).await };
    match put.await {
        Ok(()) => DeliveryOutcome::Sent {
            provider: LOCAL_OUTBOX.into(),
            message_id: None,
            conversation: None,
        },
        Err(e) => DeliveryOutcome::Transient {
            provider: LOCAL_OUTBOX.into(),
            message: e.to_string(),
        },
    }
}

pub async fn slack_call(
    base: &str,
    token: &str,
    method: &str,
    body: &Value,
) -> Result<(u16, String), String> {
    let auth = format!("Bearer {token}");
    post(
        &format!("{base}/{method}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json; charset=utf-8"),
        ],
        body.to_string(),
    )
    .await
}

/// One POST; `Err` only when no HTTP answer came back (network).
async fn post(url: &str, headers: &[(&str, &str)], body: String) -> Result<(u16, String), String> {
    let h = Headers::new();
    for (k, v) in headers {
        h.set(k, v).map_err(|e| e.to_string())?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(h)
        .with_body(Some(JsValue::from_str(&body)));
    let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let mut resp = Fetch::Request(req)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let text = resp.text().await.unwrap_or_default();
    Ok((resp.status_code(), text))
}

/// An email that is not a pause (the console's magic links): through the email API
/// when it is configured, else, in local mode, into the outbox (readable at
/// `GET /dev/outbox`, `link` in its own field for tests). `Err` when it could not go.
pub(crate) async fn send_email(
    env: &Env,
    to: &str,
    subject: &str,
    text: &str,
    link: &str,
) -> Result<(), String> {
    let configured = var(env, "RESEND_API_KEY").zip(var(env, "EMAIL_FROM"));
    if let Some((key, from)) = configured {
        let base = base(env, "RESEND_API_BASE", RESEND_API_BASE);
        let body =
            serde_json::json!({ "from": from, "to": [to], "subject": subject, "text": text });
        let auth = format!("Bearer {key}");
        return match post(
            &format!("{base}/emails"),
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.to_string(),
        )
        .await
        {
            Ok((status, _)) if (200..300).contains(&status) => Ok(()),
            Ok((status, text)) => Err(format!("email API answered {status}: {text}")),
            Err(e) => Err(format!("network: {e}")),
        };
    }
    if !config::is_local(env) {
        return Err("no email provider: set RESEND_API_KEY and EMAIL_FROM".into());
    }
    worker::console_log!("[outbox] email to {to}: {subject}");
    let body = format!("{subject}\n\n{text}");
    let put =
        async { db::dev_outbox::put_dev_email(&Db::new(env)?, to, &body, link, now_ms()).await };
    put.await.map_err(|e| e.to_string())
}
