//! The audit page: filters (time range, pause, event type), a page of events, export
//! links (CSV, NDJSON: the API's own export) and the chain check in plain words.

use super::view::{describe_actor, escape, notice, qs, utc};
use crate::core::audit::{AuditEvent, AuditKind, Break, ChainHead};

/// Events per console page.
pub(crate) const PAGE_SIZE: u32 = 50;

/// The page's filters as typed in the form. `from`/`to` come from
/// `<input type="datetime-local">` (`2026-11-29T14:02`, read as UTC) or as RFC 3339.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuditQuery {
    pub from: String,
    pub to: String,
    pub pause_id: String,
    pub kind: String,
    pub cursor: String,
    /// The test-mode log rather than the live one.
    pub test: bool,
}

/// `2026-11-29T14:02` (a datetime-local value) as RFC 3339 UTC; anything else as is,
/// for the API's parser to accept or refuse by name.
fn as_rfc3339(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() == 16 && v.is_ascii() && b[10] == b'T' {
        format!("{v}:00Z")
    } else {
        v.to_string()
    }
}

impl AuditQuery {
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut q = AuditQuery::default();
        for (k, v) in pairs {
            let v = v.trim().to_string();
            match k.as_str() {
                "from" => q.from = v,
                "to" => q.to = v,
                "pause_id" => q.pause_id = v,
                "type" => q.kind = v,
                "cursor" => q.cursor = v,
                "mode" => q.test = v == "test",
                _ => {}
            }
        }
        q
    }

    /// The same filters as `GET /v1/audit` takes them (parsed by its parser).
    pub(crate) fn api_pairs(&self, with_cursor: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut add = |k: &str, v: String| {
            if !v.is_empty() {
                out.push((k.to_string(), v));
            }
        };
        add("since", as_rfc3339(&self.from));
        add("until", as_rfc3339(&self.to));
        add("pause_id", self.pause_id.clone());
        add("type", self.kind.clone());
        if with_cursor {
            add("cursor", self.cursor.clone());
        }
        out
    }

    /// This page's own query string (form names), for links.
    pub(crate) fn query(&self, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        if self.test {
            parts.push("mode=test".to_string());
        }
        for (k, v) in [
            ("from", &self.from),
            ("to", &self.to),
            ("pause_id", &self.pause_id),
            ("type", &self.kind),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", qs(v)));
            }
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", qs(c)));
        }
        parts.join("&")
    }
}

/// The chain check of one pause, as the verification found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verification {
    /// The pause, or the account id for the team's own chain.
    pub pause_id: String,
    /// The team's chain (console actions): no object holds its head.
    pub team: bool,
    pub events: u64,
    pub head: ChainHead,
    pub first_break: Option<Break>,
}

fn reason_words(reason: &str) -> &'static str {
    match reason {
        "seq_gap" => "an event is missing or out of order before it",
        "prev_hash_mismatch" => "it does not point at the hash of the event before it",
        "hash_mismatch" => "its content no longer matches its own hash (it was altered)",
        "beyond_head" => {
            "it lies past the last event the pause itself recorded (inserted afterwards)"
        }
        "head_mismatch" => "it differs from the last event the pause itself recorded (rewritten)",
        "missing_tail" => "events the pause recorded are missing from the log (deleted)",
        _ => "the chain does not hold here",
    }
}

/// What the check proved, in plain words.
pub(crate) fn verification_html(v: &Verification) -> String {
    let id = escape(&v.pause_id);
    let (whose, last, limit) = if v.team {
        (
            "your team's own log (console actions)".to_string(),
            "",
            "What this does not prove: that no events were cut from the end of this log, since nothing \
else holds its last event; that the events describe the world truthfully; anything about pauses.",
        )
    } else {
        (
            format!("pause <code>{id}</code>"),
            ", and that last event is the one the pause itself recorded",
            "What this does not prove: that the events describe the world truthfully, or anything about \
other pauses.",
        )
    };
    match &v.first_break {
        None => format!(
            "<div class=\"note ok\" role=\"status\"><p><strong>Verified.</strong> The {n} audit events of {whose} \
form one unbroken SHA-256 hash chain from the first to the last (number {seq}, hash <code>{h}…</code>){last}. \
So none of them has been altered, removed, reordered or inserted since it was written.</p>\
<p>{limit} To check independently, export the events and recompute each hash as the README's Audit log section describes.</p></div>",
            n = v.events,
            seq = v.head.seq,
            h = escape(&v.head.hash.chars().take(16).collect::<String>()),
        ),
        Some(b) => format!(
            "<div class=\"note err\" role=\"alert\"><p><strong>Not verified: the chain is broken.</strong> The first {n} events of \
{whose} check out; event number {seq}{eid} fails: {why} (<code>{code}</code>).</p>\
<p>This log has been changed since it was written. Keep the export, and tell us.</p></div>",
            n = v.events,
            seq = b.seq,
            eid = if b.event_id.is_empty() { String::new() } else { format!(" (<code>{}</code>)", escape(&b.event_id)) },
            why = reason_words(b.reason),
            code = b.reason,
        ),
    }
}

/// The pause an event is about, linked; the team's own chain (keyed by the account id)
/// has no page.
fn subject(pause_id: &str) -> String {
    if pause_id.starts_with("pause_") {
        format!(
            "<a href=\"/console/pauses/{}\"><code>{}</code></a>",
            qs(pause_id),
            escape(pause_id)
        )
    } else {
        "<span class=\"muted\">team</span>".into()
    }
}

/// The body of the audit page.
pub(crate) fn audit_page(
    q: &AuditQuery,
    rows: &[AuditEvent],
    next: Option<&str>,
    error: Option<&str>,
    verification: Option<&Verification>,
) -> String {
    let mut out = String::new();
    if let Some(e) = error {
        out.push_str(&notice(false, e));
    }
    if let Some(v) = verification {
        out.push_str("<h2>Chain check</h2>");
        out.push_str(&verification_html(v));
    }
    let input = |name: &str, label: &str, kind: &str, value: &str, hint: &str| {
        format!(
            "<div><label for=\"a-{name}\">{label}</label><input id=\"a-{name}\" name=\"{name}\" type=\"{kind}\" value=\"{}\"{hint}></div>",
            escape(value)
        )
    };
    out.push_str("<form class=\"filters\" method=\"get\" action=\"/console/audit\">");
    out.push_str(&input("from", "From (UTC)", "datetime-local", &q.from, ""));
    out.push_str(&input("to", "To (UTC)", "datetime-local", &q.to, ""));
    out.push_str(&input(
        "pause_id",
        "Pause",
        "text",
        &q.pause_id,
        " placeholder=\"pause_…\" spellcheck=\"false\"",
    ));
    out.push_str("<div><label for=\"a-type\">Event type</label><select id=\"a-type\" name=\"type\"><option value=\"\">Any</option>");
    for t in AuditKind::ALL.map(AuditKind::as_str) {
        let sel = if q.kind == t { " selected" } else { "" };
        out.push_str(&format!("<option{sel}>{t}</option>"));
    }
    out.push_str("</select></div>");
    out.push_str(&format!(
        "<div><label for=\"a-mode\">Mode</label><select id=\"a-mode\" name=\"mode\"><option value=\"live\">Live</option><option value=\"test\"{}>Test</option></select></div>",
        if q.test { " selected" } else { "" }
    ));
    out.push_str("<div><button type=\"submit\">Filter</button></div></form>");
    let filters = q.query(None);
    let amp = if filters.is_empty() { "" } else { "&amp;" };
    out.push_str(&format!(
        "<p>Export these events: <a href=\"/console/audit/export?format=csv{amp}{f}\" download>CSV</a> · \
<a href=\"/console/audit/export?format=ndjson{amp}{f}\" download>NDJSON</a></p>",
        f = escape(&filters)
    ));
    out.push_str(&format!(
        "<form class=\"filters\" method=\"get\" action=\"/console/audit/verify\"><div><label for=\"v-pause\">Verify the chain of pause</label>\
<input id=\"v-pause\" name=\"pause_id\" type=\"text\" value=\"{}\" placeholder=\"pause_…\" spellcheck=\"false\" required></div>{}\
<div><button type=\"submit\">Verify</button></div></form>\
<p><a href=\"/console/audit/verify?chain=team\">Verify your team's own log</a> (sign-ins, invitations, keys, secrets).</p>",
        escape(&q.pause_id),
        if q.test { "<input type=\"hidden\" name=\"mode\" value=\"test\">" } else { "" }
    ));
    out.push_str("<div class=\"scroll\"><table class=\"cp\"><caption class=\"muted\">Oldest first</caption><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Event</th><th scope=\"col\">Pause</th><th scope=\"col\">Actor</th><th scope=\"col\" class=\"hide-sm\">#</th></tr></thead><tbody>");
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"5\">No events match these filters.</td></tr>");
    }
    for e in rows {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"hide-sm\">{}</td></tr>",
            utc(e.at),
            escape(&e.kind),
            subject(&e.pause_id),
            describe_actor(&e.actor, &e.context),
            e.seq
        ));
    }
    out.push_str("</tbody></table></div>");
    if let Some(c) = next {
        out.push_str(&format!(
            "<nav aria-label=\"Pages\"><p><a href=\"/console/audit?{}\" rel=\"next\">Later events</a></p></nav>",
            escape(&q.query(Some(c)))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::audit::parse_filter;

    #[test]
    fn form_values_become_the_api_filters() {
        let pairs: Vec<(String, String)> = [
            ("from", "2026-11-29T14:02"),
            ("to", ""),
            ("type", "pause.created"),
            ("junk", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let q = AuditQuery::from_pairs(&pairs);
        let f = parse_filter(&q.api_pairs(true)).unwrap();
        assert_eq!(
            f.since,
            crate::core::time::parse_rfc3339("2026-11-29T14:02:00Z")
        );
        assert_eq!(f.until, None);
        assert_eq!(f.kind.as_deref(), Some("pause.created"));
        // A bad value is refused by the API's parser, by name.
        let bad = AuditQuery {
            to: "yesterday".into(),
            ..Default::default()
        };
        assert_eq!(
            parse_filter(&bad.api_pairs(false)).unwrap_err().param(),
            Some("until")
        );
        // Non-ASCII of length 16 is not sliced.
        let odd = AuditQuery {
            from: "ééééééééT".into(),
            ..Default::default()
        };
        assert!(parse_filter(&odd.api_pairs(false)).is_err());
    }

    #[test]
    fn verification_says_what_it_proved_or_where_it_broke() {
        let mut v = Verification {
            pause_id: "pause_1".into(),
            team: false,
            events: 4,
            head: ChainHead {
                seq: 4,
                hash: "ab".repeat(32),
            },
            first_break: None,
        };
        let ok = verification_html(&v);
        assert!(
            ok.contains("Verified.") && ok.contains("4 audit events") && ok.contains("not prove")
        );
        v.first_break = Some(Break {
            seq: 3,
            event_id: "evt_<3>".into(),
            reason: "hash_mismatch",
        });
        v.events = 2;
        let bad = verification_html(&v);
        assert!(
            bad.contains("Not verified")
                && bad.contains("event number 3")
                && bad.contains("altered")
        );
        assert!(bad.contains("evt_&lt;3&gt;"));
        v.team = true;
        v.first_break = None;
        let team = verification_html(&v);
        assert!(team.contains("your team's own log") && team.contains("cut from the end"));
    }

    #[test]
    fn export_links_carry_the_filters() {
        let q = AuditQuery {
            pause_id: "pause_1".into(),
            kind: "pause.created".into(),
            ..Default::default()
        };
        let html = audit_page(&q, &[], None, None, None);
        assert!(html.contains(
            "/console/audit/export?format=csv&amp;pause_id=pause_1&amp;type=pause.created"
        ));
        assert!(html.contains("/console/audit/export?format=ndjson&amp;"));
    }

    proptest::proptest! {
        #[test]
        fn form_values_never_panic_the_filter_or_the_page(k in proptest::prelude::any::<String>(), v in proptest::prelude::any::<String>()) {
            let pairs = vec![(k, v.clone()), ("from".to_string(), v.clone()), ("to".to_string(), v.clone()), ("pause_id".to_string(), v.clone())];
            let q = AuditQuery::from_pairs(&pairs);
            let _ = parse_filter(&q.api_pairs(true));
            let html = audit_page(&q, &[], Some(&v), Some(&v), None);
            proptest::prop_assert!(!html.contains("<script"));
        }
    }
}
