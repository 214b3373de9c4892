//! Slack: `chat.postMessage` / `chat.update` with Block Kit buttons, and the signed
//! interactivity callbacks that carry a click.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use super::transient_http;
use crate::core::delivery::DeliveryOutcome;
use crate::core::ids::hex;
use crate::core::keys::secrets_equal;

pub const PROVIDER: &str = "slack";
/// Slack refuses requests older than this; so do we (replays).
pub const MAX_AGE_SECONDS: i64 = 300;

/// Escapes the three characters Slack's mrkdwn treats as control characters.
pub fn mrkdwn(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A button's value: the pause and the option (and the approver whose message it
/// is, for a multi-approver pause), so a click needs no lookup.
pub fn button_value(pause_id: &str, index: usize, approver: Option<u8>) -> String {
    match approver {
        None => format!("{pause_id}:{index}"),
        Some(a) => format!("{pause_id}:{index}:{a}"),
    }
}

/// `pause:option` or `pause:option:approver`.
pub fn parse_button_value(v: &str) -> Option<(String, usize, Option<u8>)> {
    let mut parts = v.split(':');
    let id = parts.next()?.to_string();
    let index = parts.next()?.parse().ok()?;
    let approver = match parts.next() {
        None => None,
        Some(a) => Some(a.parse().ok()?),
    };
    if parts.next().is_some() {
        return None;
    }
    Some((id, index, approver))
}

/// The body of `chat.postMessage`: the question, then one button per option, and a
/// link to the response page as a fallback. Danger options are red and ask Slack's
/// "Are you sure?" dialog before the click is sent.
#[allow(clippy::too_many_arguments)]
pub fn post_message(
    channel: &str,
    pause_id: &str,
    approver: Option<u8>,
    requester: &str,
    message: &str,
    options: &[String],
    danger: &[String],
    link: &str,
) -> Value {
    let buttons: Vec<Value> = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut b = json!({
                "type": "button",
                "action_id": format!("pausepoint_choice_{i}"),
                "text": { "type": "plain_text", "text": o, "emoji": true },
                "value": button_value(pause_id, i, approver),
            });
            if danger.contains(o) {
                b["style"] = json!("danger");
                b["confirm"] = confirm_dialog(o);
            } else if i == 0 {
                b["style"] = json!("primary");
            }
            b
        })
        .collect();
    json!({
        "channel": channel,
        "text": fallback_text(requester, "asks", message),
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("*{}* asks:\n{}", mrkdwn(requester), mrkdwn(message)) } },
            { "type": "actions", "block_id": format!("pausepoint_{pause_id}"), "elements": buttons },
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": format!("Or answer on the web: <{link}|open the request>") } ] },
        ],
    })
}

/// The notification text (and what clients without blocks show). Slack reads
/// `<...>` in it as links and mentions (`<!channel>`): escaped like mrkdwn.
fn fallback_text(requester: &str, verb: &str, message: &str) -> String {
    format!("{} {verb}: {}", mrkdwn(requester), mrkdwn(message))
}

/// Block Kit `confirm` object: title ≤ 100, text ≤ 300, buttons ≤ 30 characters.
fn confirm_dialog(option: &str) -> Value {
    json!({
        "title": { "type": "plain_text", "text": "Are you sure?" },
        "text": { "type": "plain_text", "text": format!("Answer \u{201c}{}\u{201d}? The answer is final.", clip(option, 200)) },
        "confirm": { "type": "plain_text", "text": clip(&format!("Yes, {option}"), 30) },
        "deny": { "type": "plain_text", "text": "Back" },
        "style": "danger",
    })
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('\u{2026}');
    out
}

/// The body of `chat.update` once the pause is final: the buttons are gone and
/// `outcome` (mrkdwn, already escaped) says what was decided and by whom.
pub fn final_message(
    channel: &str,
    ts: &str,
    requester: &str,
    message: &str,
    outcome: &str,
) -> Value {
    json!({
        "channel": channel,
        "ts": ts,
        "text": fallback_text(requester, "asked", message),
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("*{}* asked:\n{}", mrkdwn(requester), mrkdwn(message)) } },
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": outcome } ] },
        ],
    })
}

/// What the updated message says: the choice and the Slack user who made it.
pub fn decided_by(choice: &str, slack_user: &str) -> String {
    format!(
        ":white_check_mark: *{}* chosen by <@{}>",
        mrkdwn(choice),
        mrkdwn(slack_user)
    )
}

/// What it says when the click came too late: how the pause ended.
pub fn already_final(status: &str, choice: Option<&str>, via: Option<&str>) -> String {
    match (status, choice) {
        ("responded", Some(c)) => format!(
            "Already answered: *{}*{}",
            mrkdwn(c),
            via.filter(|v| *v != "slack")
                .map(|v| format!(" (via {})", mrkdwn(v)))
                .unwrap_or_default()
        ),
        ("timed_out", _) => "This request expired without an answer.".into(),
        ("cancelled", _) => "This request was withdrawn.".into(),
        _ => "This request is closed.".into(),
    }
}

/// `X-Slack-Signature`: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`.
pub fn signature(signing_secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signing_secret.as_bytes()).expect("any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex(&mac.finalize().into_bytes()))
}

/// Valid signature, and a timestamp within five minutes of now (either side).
pub fn verify(
    signing_secret: &str,
    timestamp: &str,
    body: &[u8],
    header: &str,
    now_seconds: i64,
) -> bool {
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    // `abs_diff` cannot overflow, whatever the timestamp (i64::MIN included).
    now_seconds.abs_diff(ts) <= MAX_AGE_SECONDS.unsigned_abs()
        && secrets_equal(&signature(signing_secret, timestamp, body), header)
}

/// The parts of a `block_actions` payload we act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Click {
    pub pause_id: String,
    pub choice: usize,
    /// The approver whose message was clicked (multi-approver pauses).
    pub approver: Option<u8>,
    pub user_id: String,
    pub user_name: Option<String>,
    pub channel: Option<String>,
    pub message_ts: Option<String>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: String,
    user: Option<User>,
    #[serde(default)]
    actions: Vec<Action>,
    channel: Option<Id>,
    container: Option<Container>,
}
#[derive(Deserialize)]
struct User {
    id: String,
    username: Option<String>,
    name: Option<String>,
}
#[derive(Deserialize)]
struct Action {
    value: Option<String>,
}
#[derive(Deserialize)]
struct Id {
    id: String,
}
#[derive(Deserialize)]
struct Container {
    message_ts: Option<String>,
    channel_id: Option<String>,
}

/// Reads the form field `payload` (JSON) of an interactivity request.
pub fn parse_click(form_body: &[u8]) -> Option<Click> {
    let raw = url::form_urlencoded::parse(form_body)
        .find(|(k, _)| k == "payload")?
        .1;
    let p: Payload = serde_json::from_str(&raw).ok()?;
    if p.kind != "block_actions" {
        return None;
    }
    let (pause_id, choice, approver) = parse_button_value(p.actions.first()?.value.as_deref()?)?;
    let user = p.user?;
    let container = p.container;
    Some(Click {
        pause_id,
        choice,
        approver,
        user_id: user.id,
        user_name: user.username.or(user.name),
        channel: p
            .channel
            .map(|c| c.id)
            .or_else(|| container.as_ref().and_then(|c| c.channel_id.clone())),
        message_ts: container.and_then(|c| c.message_ts),
    })
}

#[derive(Deserialize)]
struct WebAnswer {
    ok: bool,
    error: Option<String>,
    channel: Option<String>,
    ts: Option<String>,
}

/// Errors Slack documents as worth retrying; everything else will fail again.
fn transient_error(e: &str) -> bool {
    matches!(
        e,
        "ratelimited"
            | "rate_limited"
            | "internal_error"
            | "fatal_error"
            | "service_unavailable"
            | "request_timeout"
    )
}

fn explain(e: &str) -> String {
    match e {
        "channel_not_found" => "Slack: the channel does not exist or the bot cannot see it.".into(),
        "not_in_channel" => {
            "Slack: the bot is not a member of the channel; invite it first.".into()
        }
        "is_archived" => "Slack: the channel is archived.".into(),
        "invalid_auth" | "not_authed" | "token_revoked" | "account_inactive" => {
            "Slack: the bot token is not valid (SLACK_BOT_TOKEN).".into()
        }
        other => format!("Slack refused the message: {other}."),
    }
}

/// Slack answers HTTP 200 with `{"ok":false,"error":"channel_not_found"}` for most
/// failures: the body decides, not the status.
pub fn classify(status: u16, body: &str) -> DeliveryOutcome {
    let answer = serde_json::from_str::<WebAnswer>(body).ok();
    match answer {
        Some(a) if (200..300).contains(&status) && a.ok => DeliveryOutcome::Sent {
            provider: PROVIDER.into(),
            message_id: a.ts,
            conversation: a.channel,
        },
        Some(WebAnswer { error: Some(e), .. })
            if !transient_http(status) && !transient_error(&e) =>
        {
            DeliveryOutcome::Permanent {
                provider: PROVIDER.into(),
                message: explain(&e),
                code: e,
            }
        }
        Some(WebAnswer { error: Some(e), .. }) => DeliveryOutcome::Transient {
            provider: PROVIDER.into(),
            message: format!("{e} (HTTP {status})"),
        },
        _ if transient_http(status) || (200..300).contains(&status) => DeliveryOutcome::Transient {
            provider: PROVIDER.into(),
            message: format!("HTTP {status} without a readable answer"),
        },
        _ => DeliveryOutcome::Permanent {
            provider: PROVIDER.into(),
            code: format!("http_{status}"),
            message: format!("Slack answered HTTP {status}."),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_v0_hex_hmac_of_version_timestamp_body() {
        // Computed independently with `crypto.createHmac('sha256', secret)`.
        let body = b"payload=%7B%22type%22%3A%22block_actions%22%7D";
        let sig = signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body);
        assert_eq!(
            sig,
            "v0=9dffc25b49a4a7fc2e15c9c9450bf8af09eb501fcef9039eaea3deb58af0c82c"
        );
        assert!(verify(
            "8f742231b10e8888abcd99yyyzzz85a5",
            "1531420618",
            body,
            &sig,
            1531420618 + 299
        ));
        assert!(
            !verify(
                "8f742231b10e8888abcd99yyyzzz85a5",
                "1531420618",
                body,
                &sig,
                1531420618 + 301
            ),
            "replay window"
        );
        assert!(!verify("other", "1531420618", body, &sig, 1531420618));
        assert!(!verify(
            "8f742231b10e8888abcd99yyyzzz85a5",
            "1531420618",
            b"payload=x",
            &sig,
            1531420618
        ));
        assert!(!verify(
            "8f742231b10e8888abcd99yyyzzz85a5",
            "soon",
            body,
            &sig,
            1531420618
        ));
        // Extreme timestamps are outside the window, without overflowing.
        for (ts, now) in [
            ("-9223372036854775808", i64::MAX),
            ("9223372036854775807", i64::MIN),
        ] {
            assert!(!verify(
                "8f742231b10e8888abcd99yyyzzz85a5",
                ts,
                body,
                &sig,
                now
            ));
        }
    }

    #[test]
    fn message_has_one_button_per_option_carrying_pause_and_index() {
        let m = post_message(
            "C123",
            "pause_ab",
            None,
            "Acme <Ops>",
            "Pay *now*?",
            &["Approve".into(), "Reject".into()],
            &[],
            "https://x/r/t",
        );
        assert_eq!(m["channel"], "C123");
        let buttons = m["blocks"][1]["elements"].as_array().unwrap();
        assert_eq!(buttons.len(), 2);
        assert_eq!(buttons[1]["value"], "pause_ab:1");
        assert_eq!(buttons[1]["text"]["text"], "Reject");
        assert!(m["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("Acme &lt;Ops&gt;"));
        assert_eq!(
            parse_button_value("pause_ab:1"),
            Some(("pause_ab".into(), 1, None))
        );
        assert_eq!(parse_button_value("pause_ab"), None);
        // An approver's message carries the approver too.
        let m = post_message(
            "C1",
            "pause_ab",
            Some(2),
            "A",
            "Q",
            &["Yes".into(), "No".into()],
            &[],
            "l",
        );
        assert_eq!(m["blocks"][1]["elements"][1]["value"], "pause_ab:1:2");
        assert_eq!(
            parse_button_value("pause_ab:1:2"),
            Some(("pause_ab".into(), 1, Some(2)))
        );
        assert_eq!(parse_button_value("pause_ab:1:2:3"), None);
        assert_eq!(parse_button_value("pause_ab:1:300"), None);
    }

    #[test]
    fn danger_options_are_red_and_ask_slack_to_confirm() {
        let long = "Delete everything in the bucket now!!!!!".to_string();
        let m = post_message(
            "C1",
            "pause_ab",
            None,
            "Acme",
            "Clean up?",
            &["Delete".into(), "Keep".into(), long.clone()],
            &["Delete".into(), long.clone()],
            "https://x/r/t",
        );
        let b = m["blocks"][1]["elements"].as_array().unwrap();
        assert_eq!(b[0]["style"], "danger", "a danger option is never primary");
        assert_eq!(b[0]["confirm"]["title"]["text"], "Are you sure?");
        assert_eq!(b[0]["confirm"]["confirm"]["text"], "Yes, Delete");
        assert_eq!(b[0]["confirm"]["deny"]["text"], "Back");
        assert_eq!(b[0]["confirm"]["style"], "danger");
        assert!(b[0]["confirm"]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("Delete"));
        assert!(b[1].get("confirm").is_none() && b[1].get("style").is_none());
        let yes = b[2]["confirm"]["confirm"]["text"].as_str().unwrap();
        assert_eq!(yes.chars().count(), 30, "Slack's limit for a button: {yes}");
        assert!(yes.ends_with('\u{2026}'));
        // Without danger options the first button is the primary one, as before.
        let plain = post_message(
            "C1",
            "p",
            None,
            "A",
            "Q",
            &["Yes".into(), "No".into()],
            &[],
            "l",
        );
        assert_eq!(plain["blocks"][1]["elements"][0]["style"], "primary");
        assert!(!plain.to_string().contains("confirm"));
    }

    #[test]
    fn fallback_text_cannot_mention_or_link() {
        let m = post_message(
            "C1",
            "p",
            None,
            "Acme <!here>",
            "<!channel> see <https://evil.example|your bank> & pay",
            &["Yes".into(), "No".into()],
            &[],
            "https://x/r/t",
        );
        let text = m["text"].as_str().unwrap();
        assert_eq!(
            text,
            "Acme &lt;!here&gt; asks: &lt;!channel&gt; see &lt;https://evil.example|your bank&gt; &amp; pay"
        );
        let f = final_message("C1", "1.2", "A<b>", "<!channel>", "done");
        assert_eq!(f["text"], "A&lt;b&gt; asked: &lt;!channel&gt;");
        assert!(!m.to_string().contains("<!channel>") && !f.to_string().contains("<!channel>"));
    }

    #[test]
    fn the_timestamp_window_cannot_overflow() {
        let body = b"payload=x";
        for (ts, now) in [
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
            (i64::MIN, 0),
            (i64::MIN, 1_700_000_000),
            (i64::MAX, 1_700_000_000),
            // now - ts wraps to i64::MIN here, whose `abs()` is itself: was "in window".
            (1_700_000_000i64.wrapping_sub(i64::MIN), 1_700_000_000),
        ] {
            let t = ts.to_string();
            let sig = signature("s", &t, body);
            assert!(!verify("s", &t, body, &sig, now), "{ts} at {now}");
        }
        let sig = signature("s", "-5", body);
        assert!(verify("s", "-5", body, &sig, 0));
    }

    proptest::proptest! {
        #[test]
        fn verify_is_total_over_any_timestamp(ts in proptest::prelude::any::<i64>(), now in proptest::prelude::any::<i64>(), raw in ".{0,40}") {
            let t = ts.to_string();
            let sig = signature("s", &t, b"x");
            let ok = verify("s", &t, b"x", &sig, now);
            proptest::prop_assert_eq!(ok, now.abs_diff(ts) <= 300);
            let _ = verify("s", &raw, b"x", &sig, now);
            let _ = verify("s", &raw, raw.as_bytes(), &raw, now);
        }

        #[test]
        fn fallback_text_never_carries_slack_syntax(requester in ".{0,40}", message in ".{0,200}") {
            let m = post_message("C1", "p", None, &requester, &message, &["a".into(), "b".into()], &[], "l");
            let text = m["text"].as_str().unwrap();
            proptest::prop_assert!(!text.contains('<') && !text.contains('>'));
            proptest::prop_assert_eq!(text.matches('&').count(), text.matches("&amp;").count() + text.matches("&lt;").count() + text.matches("&gt;").count());
        }
    }

    #[test]
    fn final_message_drops_the_buttons_and_says_who_decided() {
        let m = final_message(
            "C9",
            "1700.1",
            "Acme",
            "Pay?",
            &decided_by("Reject <x>", "U1"),
        );
        assert_eq!(
            (m["channel"].as_str(), m["ts"].as_str()),
            (Some("C9"), Some("1700.1"))
        );
        assert!(!m.to_string().contains("\"actions\""));
        assert_eq!(
            m["blocks"][1]["elements"][0]["text"],
            ":white_check_mark: *Reject &lt;x&gt;* chosen by <@U1>"
        );
        assert_eq!(
            already_final("responded", Some("Approve"), Some("page")),
            "Already answered: *Approve* (via page)"
        );
        assert_eq!(
            already_final("cancelled", None, None),
            "This request was withdrawn."
        );
    }

    #[test]
    fn clicks_are_read_from_the_payload_field() {
        let payload = r#"{"type":"block_actions","user":{"id":"U1","username":"ada"},"channel":{"id":"C9"},"container":{"message_ts":"1700.1"},"actions":[{"value":"pause_ab:0"}]}"#;
        let body = super::super::form(&[("payload", payload)]);
        let c = parse_click(body.as_bytes()).unwrap();
        assert_eq!(
            (c.pause_id.as_str(), c.choice, c.user_id.as_str()),
            ("pause_ab", 0, "U1")
        );
        assert_eq!(
            (c.channel.as_deref(), c.message_ts.as_deref()),
            (Some("C9"), Some("1700.1"))
        );
        assert_eq!(parse_click(b"payload=%7B%7D"), None);
    }

    #[test]
    fn ok_false_is_a_failure_even_with_http_200() {
        assert_eq!(
            classify(200, r#"{"ok":true,"channel":"C9","ts":"1700.1"}"#),
            DeliveryOutcome::Sent {
                provider: "slack".into(),
                message_id: Some("1700.1".into()),
                conversation: Some("C9".into())
            }
        );
        assert!(
            matches!(classify(200, r#"{"ok":false,"error":"channel_not_found"}"#),
            DeliveryOutcome::Permanent { code, .. } if code == "channel_not_found")
        );
        assert!(matches!(
            classify(200, r#"{"ok":false,"error":"not_in_channel"}"#),
            DeliveryOutcome::Permanent { .. }
        ));
        assert!(classify(429, r#"{"ok":false,"error":"ratelimited"}"#).is_transient());
        assert!(classify(200, r#"{"ok":false,"error":"internal_error"}"#).is_transient());
        assert!(classify(503, "").is_transient());
    }
}
