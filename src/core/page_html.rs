//! The response page the person sees: one small HTML document with inline CSS, no
//! scripts, usable on a 320 px phone, in dark mode and with a screen reader.

use super::pause::{Pause, Responder, Status};
use super::time::rfc3339;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = "*{box-sizing:border-box}body{margin:0;font:17px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;color:#16181d}main{max-width:34rem;margin:0 auto;padding:1.25rem}.card{background:#fff;border-radius:14px;padding:1.25rem;box-shadow:0 1px 3px #0002}.who{color:#555;font-size:.9rem;margin:0 0 .5rem}h1{font-size:1.3rem;margin:0 0 1rem;white-space:pre-wrap;overflow-wrap:anywhere}form{display:grid;gap:.75rem;margin:0}button{font:inherit;font-weight:600;min-height:3.25rem;padding:.75rem 1rem;border-radius:10px;border:2px solid #1f5fd6;background:#1f5fd6;color:#fff;cursor:pointer;overflow-wrap:anywhere}button.alt{background:#fff;color:#1f5fd6}button:focus-visible{outline:3px solid #f5a623;outline-offset:2px}.meta{color:#555;font-size:.85rem;margin:1rem 0 0}.state{font-size:1.15rem}.ok{color:#17733a}.muted{color:#555}@media (prefers-color-scheme:dark){body{background:#111318;color:#e9eaee}.card{background:#1b1e25;box-shadow:none}.who,.meta,.muted{color:#a9adb8}button.alt{background:#1b1e25;color:#8fb4ff;border-color:#8fb4ff}.ok{color:#5fd38a}}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex,nofollow\"><meta name=\"color-scheme\" content=\"light dark\"><title>{}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    )
}

fn who(p: &Pause) -> String {
    format!("<p class=\"who\">{} asks:</p>", escape(&p.requester_name))
}

/// "3 h 59 min", "12 min", "40 s": how long the person has left.
pub fn time_left(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn when(ms: i64) -> String {
    let t = rfc3339(ms);
    format!(
        "<time datetime=\"{t}\">{} {} UTC</time>",
        &t[..10],
        &t[11..16]
    )
}

/// The question with one real button per option. `action` is the page's own URL.
pub fn question(p: &Pause, action: &str, now: i64) -> String {
    let buttons: String = p
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let class = if i == 0 { "" } else { " class=\"alt\"" };
            format!(
                "<button type=\"submit\" name=\"choice\" value=\"{i}\"{class}>{}</button>",
                escape(o)
            )
        })
        .collect();
    let default_note = p
        .timeout_default
        .as_ref()
        .map(|d| {
            format!(
                " If nobody answers, <strong>{}</strong> is chosen.",
                escape(d)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<div class=\"card\">{}<h1 id=\"q\" dir=\"auto\">{}</h1><form method=\"post\" action=\"{}\" aria-labelledby=\"q\">{buttons}</form><p class=\"meta\">Time left: {}.{default_note}</p></div>",
        who(p),
        escape(&p.message),
        escape(action),
        time_left(p.expires_at - now),
    );
    document("Your answer is needed", &body)
}

/// The question with one choice preselected (from an email button): one button
/// confirms it by POST, so a mail scanner following the link answers nothing.
pub fn confirm(p: &Pause, action: &str, choice: usize, now: i64) -> String {
    let Some(label) = p.options.get(choice) else {
        return question(p, action, now);
    };
    let body = format!(
        r#"<div class="card">{}<h1 id="q" dir="auto">{}</h1><form method="post" action="{}" aria-labelledby="q"><button type="submit" name="choice" value="{choice}">Confirm: {}</button></form><p class="meta"><a href="{}">Choose another answer</a> &middot; Time left: {}.</p></div>"#,
        who(p),
        escape(&p.message),
        escape(action),
        escape(label),
        escape(action),
        time_left(p.expires_at - now),
    );
    document("Confirm your answer", &body)
}

/// The state after the pause was resolved, with a headline for the visitor.
/// `just_answered` is true right after this visitor's own tap.
pub fn final_state(p: &Pause, just_answered: bool) -> String {
    let detail = match (p.status, p.responded_by) {
        (Status::Responded, Some(Responder::TimeoutDefault)) => format!(
            "<p class=\"state\">This request expired. The default answer <strong>{}</strong> was applied {}.</p>",
            escape(p.response_choice.as_deref().unwrap_or("")),
            p.responded_at.map(when).unwrap_or_default()
        ),
        (Status::Responded, _) => {
            let lead = if just_answered { "<span class=\"ok\">&#10003; Thanks, your answer was recorded.</span><br>" } else { "" };
            let via = match p.responded_via.as_deref() {
                Some("page") | None => String::new(),
                Some(v) => format!(" from {}", escape(&capitalise(v))),
            };
            format!(
                "<p class=\"state\">{lead}Answered <strong>{}</strong>{via} {}.</p>",
                escape(p.response_choice.as_deref().unwrap_or("")),
                p.responded_at.map(when).unwrap_or_default()
            )
        }
        (Status::TimedOut, _) => format!("<p class=\"state\">This request expired {} without an answer.</p>", when(p.expires_at)),
        (Status::Cancelled, _) => format!(
            "<p class=\"state\">This request was withdrawn by {} {}. Nothing more is needed from you.</p>",
            escape(&p.requester_name),
            p.cancelled_at.map(when).unwrap_or_default()
        ),
        (Status::Pending, _) => String::new(),
    };
    let body = format!(
        "<div class=\"card\">{}<h1 dir=\"auto\">{}</h1>{detail}</div>",
        who(p),
        escape(&p.message)
    );
    document("Request status", &body)
}

pub fn invalid_link() -> String {
    document(
        "Link not valid",
        "<div class=\"card\"><h1>This link is not valid</h1><p class=\"muted\">Check that the whole link was opened. If it came in a message, ask the sender for a new one.</p></div>",
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pause::tests::sample;

    #[test]
    fn everything_from_the_request_is_escaped() {
        let mut p = sample(None);
        p.message = "<script>alert('x')</script>".into();
        p.options = vec!["<b>Yes</b>".into(), "\"No\"".into()];
        p.requester_name = "<img src=x>".into();
        let html = question(&p, "/r/abc", 2_000);
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<b>Yes"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.len() < 10 * 1024);
    }

    #[test]
    fn question_has_a_button_per_option_and_time_left() {
        let p = sample(Some("Reject"));
        let html = question(&p, "/r/abc", 10_000 - 3_600_000);
        assert_eq!(html.matches("<button").count(), 2);
        assert!(html.contains("value=\"1\""));
        assert!(html.contains("Time left: 1 h 0 min."));
        assert!(html.contains("<strong>Reject</strong> is chosen"));
    }

    #[test]
    fn confirm_view_needs_one_post_for_the_preselected_choice() {
        let p = sample(None);
        let h = confirm(&p, "/r/tok", 1, p.created_at);
        assert_eq!(h.matches("<button").count(), 1);
        assert!(h.contains("name=\"choice\" value=\"1\"") && h.contains("method=\"post\""));
        assert!(h.contains("href=\"/r/tok\""));
        assert_eq!(
            confirm(&p, "/r/tok", 9, p.created_at),
            question(&p, "/r/tok", p.created_at)
        );
    }

    #[test]
    fn final_states_say_what_happened() {
        let mut p = sample(Some("Reject"));
        p.respond(0, 5_000, "slack").unwrap();
        let html = final_state(&p, false);
        assert!(html.contains("Answered <strong>Approve</strong> from Slack"));
        assert!(!html.contains("<button"));
        let mut t = sample(Some("Reject"));
        t.expire_if_due(10_000);
        assert!(final_state(&t, false).contains("default answer <strong>Reject</strong>"));
    }
}
