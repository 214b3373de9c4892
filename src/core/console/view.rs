//! Small shared pieces of the console's pages: escaping, times, ages, status badges,
//! the pages' own stylesheet (served from the Worker: the CSP allows no inline code).

pub(crate) use crate::core::page_html::escape;
use crate::core::time::rfc3339;

/// `2026-11-29 14:02 UTC` inside a `<time>` element carrying the exact instant.
pub(crate) fn utc(ms: i64) -> String {
    let full = rfc3339(ms);
    let short = format!("{} {} UTC", &full[..10], &full[11..16]);
    format!("<time datetime=\"{full}\">{short}</time>")
}

/// How long ago, in the largest unit that fits: `just now`, `4 min`, `3 h`, `12 d`.
pub(crate) fn age(now: i64, then: i64) -> String {
    let s = now.saturating_sub(then).max(0) / 1000;
    match s {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// A status as a labelled badge (colour is never the only signal: the word is there).
pub(crate) fn badge(status: &str) -> String {
    let class = match status {
        "pending" => "b-wait",
        "responded" | "delivered" | "sent" | "succeeded" => "b-ok",
        "failed" | "timed_out" | "dead" => "b-bad",
        _ => "b-off",
    };
    format!(
        "<span class=\"badge {class}\">{}</span>",
        escape(&status.replace('_', " "))
    )
}

/// Cuts `s` to at most `max` characters (never inside a character), with an ellipsis.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn qs(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Who did it: the actor, with the member's email when the event's context names one.
pub(crate) fn describe_actor(actor: &str, context: &str) -> String {
    let email = serde_json::from_str::<serde_json::Value>(context)
        .ok()
        .and_then(|c| c.get("email").and_then(|e| e.as_str()).map(str::to_string));
    match email {
        Some(e) if actor.starts_with("member:") => format!(
            "{} <span class=\"muted\">({})</span>",
            escape(&e),
            escape(actor)
        ),
        _ => escape(actor),
    }
}

pub(crate) use super::html::csrf_field;

/// A one-line notice at the top of a page: `ok` or an error.
pub(crate) fn notice(ok: bool, text: &str) -> String {
    let (class, role) = if ok {
        ("note ok", "status")
    } else {
        ("note err", "alert")
    };
    format!("<p class=\"{class}\" role=\"{role}\">{}</p>", escape(text))
}

/// A secret shown once, with a copy button (the script is optional: the text can be
/// selected by hand).
pub(crate) fn secret_once(label: &str, id: &str, secret: &str) -> String {
    format!(
        "<div class=\"secret\" role=\"status\"><p><strong>{}</strong> shown once: store it now.</p>\
<p><code id=\"{id}\">{}</code> <button type=\"button\" class=\"copy\" data-copy=\"{id}\">Copy</button></p></div>",
        escape(label),
        escape(secret)
    )
}

/// The stylesheet of the pages of this module, at `/console/assets/pages.css`.
pub(crate) const PAGES_CSS: &str = "table{width:100%;border-collapse:collapse;font-size:.92rem}th,td{text-align:start;padding:.45rem .4rem;border-bottom:1px solid #d5d8de;vertical-align:top}th{font-weight:600}td.q{overflow-wrap:anywhere}.badge{display:inline-block;padding:.05rem .45rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor}.b-ok{color:#17633a}.b-wait{color:#8a4b00}.b-bad{color:#a1221b}.b-off{color:#4a4f59}.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:0 0 1rem}.filters label{display:block;font-size:.85rem;font-weight:600}.filters select,.filters input{font:inherit;padding:.3rem;min-height:2.4rem}.note{padding:.6rem .8rem;border-radius:8px;border:1px solid currentColor}.note.ok{color:#17633a}.note.err{color:#a1221b}.secret{border:2px solid #8a4b00;border-radius:10px;padding:.2rem .9rem;margin:1rem 0}.secret code{overflow-wrap:anywhere;font-size:.95rem}dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dl.kv dt{font-weight:600}dl.kv dd{margin:0;overflow-wrap:anywhere}ol.tl{padding-inline-start:1.2rem}ol.tl li{margin:.3rem 0}.inline{display:inline}.row-actions form{display:inline-block;margin:0 .3rem .3rem 0}button,.button{font:inherit;min-height:2.4rem;padding:.3rem .8rem;border-radius:8px;border:2px solid #1d4fb8;background:#1d4fb8;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}button.danger{background:#fff;color:#a1221b;border-color:#a1221b}.scroll{overflow-x:auto}.muted{color:#4a4f59}pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem}main h2{margin:1.6rem 0 .6rem}.scroll{margin-bottom:.8rem}dl.kv+*{margin-top:1rem}@media (max-width:640px){.cp th:nth-child(5),.cp td:nth-child(5){display:table-cell}.cp th.hide-sm,.cp td.hide-sm,.hide-sm{display:none}table.cp{font-size:.85rem}.row-actions form{display:block}}@media (prefers-color-scheme:dark){th,td{border-color:#3a3f4a}.b-ok,.note.ok{color:#6fdc97}.b-wait{color:#ffb54d}.b-bad,.note.err{color:#ff8f86}.b-off,.muted{color:#b4b8c2}button.danger{background:transparent;color:#ff8f86;border-color:#ff8f86}}";

/// The stylesheet of this module's pages (the shell loads the console's own stylesheet
/// and its script, which runs copy buttons and `data-live` lists).
pub(crate) fn assets() -> &'static str {
    "<link rel=\"stylesheet\" href=\"/console/assets/pages.css\">"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_the_largest_unit_and_never_go_negative() {
        assert_eq!(age(1_000, 5_000), "just now");
        assert_eq!(age(61_000, 0), "1 min");
        assert_eq!(age(3 * 3_600_000 + 5, 0), "3 h");
        assert_eq!(age(2 * 86_400_000, 0), "2 d");
        assert_eq!(age(i64::MAX, i64::MIN), "106751991167 d");
    }

    #[test]
    fn utc_shows_minutes_and_keeps_the_instant() {
        let t = utc(1_764_424_920_123);
        assert!(t.contains("datetime=\"2025-11-29T14:02:00.123Z\""), "{t}");
        assert!(t.contains(">2025-11-29 14:02 UTC<"), "{t}");
    }

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("héllo wörld", 5), "héllo…");
        assert_eq!(clip("短い", 5), "短い");
        assert_eq!(clip("", 0), "");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(qs("a b&c=é"), "a%20b%26c%3D%C3%A9");
        assert_eq!(qs("pause_01-~."), "pause_01-~.");
    }

    #[test]
    fn secrets_and_notices_are_escaped() {
        assert!(secret_once("<k>", "s1", "<x>").contains("&lt;x&gt;"));
        assert!(notice(false, "<b>").contains("&lt;b&gt;"));
        assert!(badge("<x>").contains("&lt;x&gt;"));
        let who = describe_actor("member:mem_1", r#"{"email":"a<b@x.invalid"}"#);
        assert!(who.contains("a&lt;b@x.invalid") && who.contains("member:mem_1"));
        assert_eq!(describe_actor("api_key:k", r#"{"email":"x"}"#), "api_key:k");
    }

    proptest::proptest! {
        #[test]
        fn helpers_are_total(s in proptest::prelude::any::<String>(), n in 0usize..64, a in proptest::prelude::any::<i64>(), b in proptest::prelude::any::<i64>()) {
            let c = clip(&s, n);
            proptest::prop_assert!(c.chars().count() <= n + 1);
            proptest::prop_assert!(qs(&s).is_ascii());
            let _ = (age(a, b), utc(a), describe_actor(&s, &s));
        }
    }
}
