//! The pauses list (filters, newest first, cursor paging, a live-updating body) and a
//! pause's page (question, options, metadata, delivery, timeline, webhooks, cancel).

use serde_json::Value;

use super::view::{age, badge, clip, csrf_field, describe_actor, escape, notice, qs, utc};
use crate::core::audit::AuditEvent;
use crate::core::error::ApiError;
use crate::core::ids::PauseId;
use crate::core::pause::{Channel, Pause, Status};
use crate::core::webhook::event::{AttemptRow, EventRow};
use crate::core::webhook::status::WebhookStatus;

/// The list's filters, parsed from its query string. Unknown keys are ignored (the
/// page's own form sends only these); a bad value is refused by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ListFilter {
    pub status: Option<Status>,
    pub channel: Option<Channel>,
    /// Test mode rather than live.
    pub test: bool,
    pub cursor: Option<String>,
}

impl ListFilter {
    pub(crate) fn parse(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut f = ListFilter::default();
        for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            match k.as_str() {
                "status" => {
                    f.status = Some(Status::parse(v).ok_or_else(|| {
                        ApiError::invalid(
                            "status",
                            "Status must be pending, responded, timed out or cancelled.",
                        )
                    })?)
                }
                "channel" => {
                    f.channel = Some(
                        Channel::ALL
                            .into_iter()
                            .find(|c| c.as_str() == v)
                            .ok_or_else(|| {
                                ApiError::invalid(
                                    "channel",
                                    "Channel must be sms, email, slack or whatsapp.",
                                )
                            })?,
                    )
                }
                "mode" => {
                    f.test = match v.as_str() {
                        "live" => false,
                        "test" => true,
                        _ => return Err(ApiError::invalid("mode", "Mode must be live or test.")),
                    }
                }
                "cursor" => {
                    PauseId::parse(v).ok_or_else(|| {
                        ApiError::invalid(
                            "cursor",
                            "The page link is damaged: start from the first page.",
                        )
                    })?;
                    f.cursor = Some(v.clone());
                }
                _ => {}
            }
        }
        Ok(f)
    }

    /// The query string of these filters (without the cursor unless asked).
    pub(crate) fn query(&self, with_cursor: bool) -> String {
        let mut parts = vec![format!("mode={}", if self.test { "test" } else { "live" })];
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.as_str()));
        }
        if let Some(c) = self.channel {
            parts.push(format!("channel={}", c.as_str()));
        }
        if let (true, Some(c)) = (with_cursor, &self.cursor) {
            parts.push(format!("cursor={}", qs(c)));
        }
        parts.join("&")
    }
}

/// One row of the list, read from the listing's stored document (the API shape).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListRow {
    pub id: String,
    pub status: String,
    pub channel: String,
    pub recipient: String,
    pub message: String,
    pub created_at: i64,
}

impl ListRow {
    /// Total: a document missing a field gets an empty one, never a panic.
    pub(crate) fn from_doc(doc: &Value) -> Self {
        let s = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        ListRow {
            id: s("pause_id"),
            status: s("status"),
            channel: s("channel"),
            recipient: s("recipient"),
            message: s("message"),
            created_at: crate::core::time::parse_rfc3339(&s("created_at")).unwrap_or(0),
        }
    }
}

/// The `<tr>`s of the list: the live script swaps these in place.
pub(crate) fn rows_fragment(rows: &[ListRow], now: i64) -> String {
    if rows.is_empty() {
        return "<tr><td colspan=\"5\">No pauses match these filters yet.</td></tr>".into();
    }
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"hide-sm\">{}</td><td class=\"hide-sm\">{}</td><td class=\"q\"><a href=\"/console/pauses/{}\">{}</a></td><td>{}</td></tr>",
            badge(&r.status),
            escape(&r.channel),
            escape(&clip(&r.recipient, 40)),
            qs(&r.id),
            escape(&clip(&r.message, 90)),
            age(now, r.created_at),
        ));
    }
    out
}

fn select(name: &str, label: &str, current: Option<&str>, choices: &[(&str, &str)]) -> String {
    let mut out = format!(
        "<div><label for=\"f-{name}\">{label}</label><select id=\"f-{name}\" name=\"{name}\">"
    );
    for (value, text) in choices {
        let sel = if current == Some(*value) {
            " selected"
        } else {
            ""
        };
        out.push_str(&format!("<option value=\"{value}\"{sel}>{text}</option>"));
    }
    out.push_str("</select></div>");
    out
}

/// The whole list page body.
pub(crate) fn list_page(f: &ListFilter, rows: &[ListRow], next: Option<&str>, now: i64) -> String {
    let mode = if f.test { "test" } else { "live" };
    let mut out =
        String::from("<form class=\"filters\" method=\"get\" action=\"/console/pauses\">");
    out.push_str(&select(
        "status",
        "Status",
        f.status.map(Status::as_str),
        &[
            ("", "Any"),
            ("pending", "Pending"),
            ("responded", "Responded"),
            ("timed_out", "Timed out"),
            ("cancelled", "Cancelled"),
        ],
    ));
    out.push_str(&select(
        "channel",
        "Channel",
        f.channel.map(Channel::as_str),
        &[
            ("", "Any"),
            ("sms", "SMS"),
            ("email", "Email"),
            ("slack", "Slack"),
            ("whatsapp", "WhatsApp"),
        ],
    ));
    out.push_str(&select(
        "mode",
        "Mode",
        Some(mode),
        &[("live", "Live"), ("test", "Test")],
    ));
    out.push_str("<div><button type=\"submit\">Filter</button></div></form>");
    // Only the first page updates itself: an older page stays where the reader is.
    let live = if f.cursor.is_none() {
        format!(
            " data-live=\"/console/pauses/rows?{}\"",
            escape(&f.query(false))
        )
    } else {
        String::new()
    };
    out.push_str(&format!(
        "<div class=\"scroll\"><table class=\"cp\"><caption class=\"muted\">{} pauses, newest first{}</caption>\
<thead><tr><th scope=\"col\">Status</th><th scope=\"col\" class=\"hide-sm\">Channel</th><th scope=\"col\" class=\"hide-sm\">Recipient</th><th scope=\"col\">Question</th><th scope=\"col\">Age</th></tr></thead>\
<tbody{live}>{}</tbody></table></div>",
        if f.test { "Test-mode" } else { "Live" },
        if live.is_empty() { "" } else { "; updates while open" },
        rows_fragment(rows, now)
    ));
    let mut nav = Vec::new();
    if f.cursor.is_some() {
        nav.push(format!(
            "<a href=\"/console/pauses?{}\">Newest</a>",
            escape(&f.query(false))
        ));
    }
    if let Some(c) = next {
        let older = ListFilter {
            cursor: Some(c.to_string()),
            ..f.clone()
        };
        nav.push(format!(
            "<a href=\"/console/pauses?{}\" rel=\"next\">Older pauses</a>",
            escape(&older.query(true))
        ));
    }
    if !nav.is_empty() {
        out.push_str(&format!(
            "<nav aria-label=\"Pages\"><p>{}</p></nav>",
            nav.join(" · ")
        ));
    }
    out
}

/// What the pause page shows besides the pause itself.
pub(crate) struct PauseDetail<'a> {
    pub pause: &'a Pause,
    pub timeline: &'a [AuditEvent],
    /// More events follow the ones shown (the audit page has them).
    pub timeline_more: bool,
    pub webhooks: &'a [EventRow],
    pub attempts: &'a [AttemptRow],
    pub can_manage: bool,
    pub csrf: &'a str,
    /// The result of the action just taken (`true` = done), if any.
    pub flash: Option<(bool, &'a str)>,
}

fn describe(e: &AuditEvent) -> String {
    let ctx: Value = serde_json::from_str(&e.context).unwrap_or(Value::Null);
    let what = match e.kind.as_str() {
        "pause.created" => "Created".to_string(),
        "message.sent" => "Message sent".into(),
        "message.delivered" => "Message delivered".into(),
        "message.failed" => "Message failed".into(),
        "page.opened" => "Response page opened".into(),
        "pause.responded" => match ctx.get("choice").and_then(Value::as_str) {
            Some(c) => format!("Answered “{c}”"),
            None => "Answered".into(),
        },
        "pause.timed_out" => "Timed out".into(),
        "pause.cancelled" => "Cancelled".into(),
        "webhook.attempted" => "Webhook attempted".into(),
        other => other.to_string(),
    };
    format!(
        "{} <span class=\"muted\">by {}</span>",
        escape(&what),
        describe_actor(&e.actor, &e.context)
    )
}

/// The body of a pause's page.
pub(crate) fn pause_page(d: &PauseDetail) -> String {
    let p = d.pause;
    let mut out = String::new();
    if let Some((ok, text)) = d.flash {
        out.push_str(&notice(ok, text));
    }
    out.push_str(&format!(
        "<p><a href=\"/console/pauses?mode={}\">← All pauses</a></p>",
        if p.livemode { "live" } else { "test" },
    ));
    out.push_str("<dl class=\"kv\">");
    let mut kv = |k: &str, v: String| out.push_str(&format!("<dt>{k}</dt><dd>{v}</dd>"));
    kv("Status", badge(p.status.as_str()));
    kv(
        "Pause",
        format!(
            "<code>{}</code>{}",
            escape(&p.id),
            if p.livemode { "" } else { " (test mode)" }
        ),
    );
    kv(
        "Question",
        format!("<span class=\"pre\">{}</span>", escape(&p.message)),
    );
    kv(
        "Options",
        p.options
            .iter()
            .map(|o| {
                let default = if p.timeout_default.as_deref() == Some(o.as_str()) {
                    " <span class=\"muted\">(default on timeout)</span>"
                } else {
                    ""
                };
                format!("{}{default}", escape(o))
            })
            .collect::<Vec<_>>()
            .join("<br>"),
    );
    if let Some(c) = &p.answer.context {
        kv("Context", escape(c));
    }
    kv(
        "Recipient",
        format!("{} by {}", escape(&p.recipient), escape(p.channel.as_str())),
    );
    kv("Created", utc(p.created_at));
    kv(
        if p.status == Status::Pending {
            "Expires"
        } else {
            "Deadline"
        },
        utc(p.expires_at),
    );
    if let Some(choice) = &p.response_choice {
        let via = p.responded_via.as_deref().unwrap_or("");
        kv(
            "Answer",
            format!(
                "{} <span class=\"muted\">via {}{}</span>",
                escape(choice),
                escape(via),
                p.responded_at
                    .map(|t| format!(", {}", utc(t)))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(c) = &p.response_comment {
        kv("Comment", escape(c));
    }
    if let Some(t) = p.cancelled_at {
        kv("Cancelled", utc(t));
    }
    if let Some(m) = &p.metadata {
        kv(
            "Metadata",
            format!(
                "<pre>{}</pre>",
                escape(&serde_json::to_string_pretty(m).unwrap_or_default())
            ),
        );
    }
    if let Some(u) = &p.webhook_url {
        kv("Webhook", format!("<code>{}</code>", escape(u)));
    }
    out.push_str("</dl>");

    if p.status == Status::Pending {
        if d.can_manage {
            out.push_str(&format!(
                "<form method=\"post\" action=\"/console/pauses/{}/cancel\">{}<button type=\"submit\" class=\"danger\">Cancel this pause</button></form>",
                qs(&p.id), csrf_field(d.csrf)
            ));
        } else {
            out.push_str("<p class=\"muted\">Viewers cannot cancel pauses.</p>");
        }
    }

    let dl = &p.delivery;
    out.push_str("<h2>Delivery</h2><div class=\"scroll\"><table class=\"cp\"><thead><tr><th scope=\"col\">Channel</th><th scope=\"col\">Status</th><th scope=\"col\">Provider</th><th scope=\"col\">Attempts</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
    let detail = [dl.error_code.as_deref(), dl.error_message.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
    out.push_str(&format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr></tbody></table></div>",
        escape(p.channel.as_str()),
        badge(dl.status.as_str()),
        escape(dl.provider.as_deref().unwrap_or("—")),
        dl.attempts,
        escape(&detail),
        dl.updated_at
            .map(|t| format!(" {}", utc(t)))
            .unwrap_or_default()
    ));

    out.push_str(&format!("<h2>Timeline</h2><p class=\"muted\">From the audit log. <a href=\"/console/audit?pause_id={0}\">All events</a> · <a href=\"/console/audit/verify?pause_id={0}\">Verify its chain</a></p><ol class=\"tl\">", qs(&p.id)));
    if d.timeline.is_empty() {
        out.push_str("<li>No events recorded yet.</li>");
    }
    for e in d.timeline {
        out.push_str(&format!("<li>{} — {}</li>", utc(e.at), describe(e)));
    }
    if d.timeline_more {
        out.push_str("<li>More events: see all events in the audit log.</li>");
    }
    out.push_str("</ol>");

    out.push_str("<h2>Webhook deliveries</h2>");
    if d.webhooks.is_empty() {
        out.push_str(&format!(
            "<p>{}</p>",
            if p.webhook_url.is_some() {
                "None yet: an event is sent when the pause ends."
            } else {
                "This pause has no webhook URL."
            }
        ));
    }
    for e in d.webhooks {
        out.push_str(&format!(
            "<section aria-label=\"Webhook {0}\"><h3>{1} {2}</h3><p class=\"muted\"><code>{0}</code> to <code>{3}</code>{4}</p>",
            escape(&e.id),
            escape(&e.kind),
            badge(e.status.as_str()),
            escape(&e.url),
            e.failure_reason.as_deref().map(|r| format!(" — {}", escape(r))).unwrap_or_default()
        ));
        out.push_str("<div class=\"scroll\"><table class=\"cp\"><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Started</th><th scope=\"col\">Outcome</th><th scope=\"col\">HTTP</th><th scope=\"col\">Time</th><th scope=\"col\">Error</th></tr></thead><tbody>");
        let mut any = false;
        for a in d.attempts.iter().filter(|a| a.event_id == e.id) {
            any = true;
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                a.attempt,
                utc(a.started_at),
                badge(a.outcome.as_str()),
                a.status_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "—".into()),
                a.latency_ms
                    .map(|l| format!("{l} ms"))
                    .unwrap_or_else(|| "—".into()),
                escape(a.error.as_deref().unwrap_or(""))
            ));
        }
        if !any {
            out.push_str("<tr><td colspan=\"6\">No attempt yet.</td></tr>");
        }
        out.push_str("</tbody></table></div>");
        if e.status != WebhookStatus::Pending && d.can_manage {
            out.push_str(&format!(
                "<form method=\"post\" action=\"/console/pauses/{}/webhooks/{}/replay\">{}<button type=\"submit\">Replay this event</button></form>",
                qs(&p.id), qs(&e.id), csrf_field(d.csrf)
            ));
        }
        out.push_str("</section>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pause::tests::sample;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn filters_parse_and_refuse_by_name() {
        let f = ListFilter::parse(&pairs(&[
            ("status", "pending"),
            ("channel", "email"),
            ("mode", "test"),
            ("x", "y"),
        ]))
        .unwrap();
        assert_eq!(f.status, Some(Status::Pending));
        assert_eq!(f.channel, Some(Channel::Email));
        assert!(f.test);
        assert_eq!(f.query(false), "mode=test&status=pending&channel=email");
        // Empty values are "any" (the form's first option).
        assert_eq!(
            ListFilter::parse(&pairs(&[("status", ""), ("channel", "")])).unwrap(),
            ListFilter::default()
        );
        for (k, v) in [
            ("status", "done"),
            ("channel", "fax"),
            ("mode", "prod"),
            ("cursor", "x'<"),
        ] {
            let e = ListFilter::parse(&pairs(&[(k, v)])).unwrap_err();
            assert_eq!(e.param(), Some(k), "{k}");
        }
    }

    #[test]
    fn rows_escape_and_link_to_the_pause() {
        let doc = serde_json::json!({"pause_id": "pause_1", "status": "pending", "channel": "sms",
            "recipient": "+1", "message": "<script>x</script>", "created_at": "1970-01-01T00:00:00.000Z"});
        let html = rows_fragment(&[ListRow::from_doc(&doc)], 120_000);
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("href=\"/console/pauses/pause_1\"") && html.contains("2 min"));
        // Missing fields never panic.
        assert_eq!(ListRow::from_doc(&Value::Null).id, "");
    }

    #[test]
    fn only_the_first_page_updates_itself_and_paging_keeps_the_filters() {
        let f = ListFilter {
            status: Some(Status::Pending),
            ..Default::default()
        };
        let first = list_page(&f, &[], Some("pause_00"), 0);
        assert!(first.contains("data-live=\"/console/pauses/rows?mode=live&amp;status=pending\""));
        assert!(first
            .contains("href=\"/console/pauses?mode=live&amp;status=pending&amp;cursor=pause_00\""));
        let older = ListFilter {
            cursor: Some("pause_00".into()),
            ..f
        };
        assert!(!list_page(&older, &[], None, 0).contains("data-live"));
    }

    #[test]
    fn cancel_and_replay_only_for_managers() {
        let p = sample(None);
        let ev: EventRow = serde_json::from_value(serde_json::json!({"id": "msg_1", "pause_id": p.id, "account_id": "a",
            "type": "pause.responded", "url": "https://h.invalid/", "body": "{}", "status": "failed", "failure_reason": null,
            "attempts": 1, "round_start": 0, "next_attempt_at": 0, "lease_until": 0, "created_at": 0,
            "completed_at": null, "dead_lettered_at": null})).unwrap();
        let webhooks = [ev];
        let mut d = PauseDetail {
            pause: &p,
            timeline: &[],
            timeline_more: false,
            webhooks: &webhooks,
            attempts: &[],
            can_manage: true,
            csrf: "tok",
            flash: None,
        };
        let html = pause_page(&d);
        assert!(html.contains("/cancel\"><input type=\"hidden\" name=\"csrf\" value=\"tok\">"));
        assert!(html.contains("/webhooks/msg_1/replay"));
        d.can_manage = false;
        let html = pause_page(&d);
        assert!(!html.contains("/cancel\"") && !html.contains("/replay"));
        assert!(html.contains("Viewers cannot cancel"));
    }

    proptest::proptest! {
        #[test]
        fn filters_and_rows_are_total(k in proptest::prelude::any::<String>(), v in proptest::prelude::any::<String>()) {
            let pairs = vec![(k.clone(), v.clone()), ("status".to_string(), v.clone()), ("cursor".to_string(), v.clone())];
            if let Ok(f) = ListFilter::parse(&pairs) {
                let _ = list_page(&f, &[], Some(&v), 0);
            }
            let doc: Value = serde_json::from_str(&v).unwrap_or(Value::String(v.clone()));
            let html = rows_fragment(&[ListRow::from_doc(&doc)], i64::MIN);
            proptest::prop_assert!(!html.contains("<script"));
        }
    }
}
