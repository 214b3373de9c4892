//! The response page the person sees: one small HTML document with inline CSS, no
//! scripts, usable on a 320 px phone, in dark mode and with a screen reader.

use super::pause::{Pause, Responder, Status, MAX_COMMENT_CHARS};
use super::policy::page as policy_page;
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

/// The whole stylesheet, inlined: one request, nothing external. Its hash is in the
/// Content-Security-Policy below, so no other inline style can run.
pub const CSS: &str = "*{box-sizing:border-box}body{margin:0;font:17px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;color:#16181d}main{max-width:34rem;margin:0 auto;padding:1rem}.card{background:#fff;border-radius:14px;padding:1.25rem;box-shadow:0 1px 3px #0002}.who{color:#555;font-size:.9rem;margin:0 0 .5rem}h1{font-size:1.3rem;margin:0 0 1rem;white-space:pre-wrap;overflow-wrap:anywhere}.ctx{margin:0 0 1rem;padding:.6rem .8rem;border-inline-start:4px solid #c4c9d4;background:#f4f5f7;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.95rem}form{display:grid;gap:.75rem;margin:0}button,.btn{display:block;font:inherit;font-weight:600;min-height:3.25rem;padding:.7rem 1rem;border-radius:10px;border:2px solid #1f5fd6;background:#1f5fd6;color:#fff;cursor:pointer;overflow-wrap:anywhere;text-align:center;text-decoration:none}.alt{background:#fff;color:#1f5fd6}.danger{background:#fff;color:#b3261e;border-color:#b3261e}.solid{background:#b3261e;color:#fff}button small{display:block;font-weight:400;font-size:.8rem}:focus-visible{outline:3px solid #f5a623;outline-offset:2px}label{display:block;font-weight:600;margin-bottom:.3rem}textarea{display:block;width:100%;min-height:5rem;font:inherit;padding:.6rem;border:2px solid #8a909c;border-radius:10px;background:transparent;color:inherit}.meta{color:#555;font-size:.85rem;margin:1rem 0 0}.state{font-size:1.15rem}.ok{color:#17733a;font-weight:600}.err{color:#b3261e;font-weight:600}.muted{color:#555}time{white-space:nowrap}.card>:last-child{margin-bottom:0}@media (prefers-color-scheme:dark){body{background:#111318;color:#e9eaee}.card{background:#1b1e25;box-shadow:none}.ctx{background:#262a33;border-color:#4a505c}.who,.meta,.muted{color:#a9adb8}button,.btn{background:#2563eb;border-color:#2563eb}.alt{background:#1b1e25;color:#8fb4ff;border-color:#8fb4ff}.danger{background:#1b1e25;color:#ff8a80;border-color:#ff8a80}.solid{background:#d93a2f;border-color:#d93a2f;color:#fff}.ok{color:#5fd38a}.err{color:#ff8a80}}";

/// The page's Content-Security-Policy: no scripts, no external anything, and only
/// the stylesheet above (by its SHA-256, checked in a test).
pub const CSP: &str = "default-src 'none'; style-src 'sha256-cZjX+wMGyYbHoX45gAbWcSrcW06IdJc9zNdH4sAXB3k='; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex,nofollow\"><meta name=\"color-scheme\" content=\"light dark\"><title>{}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    )
}

fn who(p: &Pause) -> String {
    format!("<p class=\"who\">{} asks:</p>", escape(&p.requester_name))
}

/// The question and the agent's context, in the message's own direction.
fn heading(p: &Pause) -> String {
    let ctx = p
        .answer
        .context
        .as_deref()
        .map(|c| format!("<p class=\"ctx\" dir=\"auto\">{}</p>", escape(c)))
        .unwrap_or_default();
    format!(
        "{}<h1 id=\"q\" dir=\"auto\">{}</h1>{ctx}{}{}",
        who(p),
        escape(&p.message),
        policy_page::action(p),
        policy_page::progress(p)
    )
}

/// The page of approver `i` of a multi-approver pause who already voted, or whose
/// turn it is not yet, or whose pause ended: `None` when the question is to be asked.
pub fn approver_view(p: &Pause, i: usize, just_voted: bool) -> Option<String> {
    let detail = if p.vote_of(i).is_some() {
        policy_page::your_vote(p, i, just_voted)
    } else if let Some(wait) = policy_page::not_your_turn(p, i) {
        wait
    } else if p.status != Status::Pending {
        return Some(final_state(p, false));
    } else {
        return None;
    };
    let body = format!("<div class=\"card\">{}{detail}</div>", heading(p));
    let title = if just_voted {
        "Vote recorded"
    } else {
        "Request status"
    };
    Some(document(title, &body))
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

/// "on 2026-11-29 at 14:02 UTC" (no script, so no local time zone: say UTC).
fn when(ms: i64) -> String {
    let t = rfc3339(ms);
    format!(
        "on <time datetime=\"{t}\">{} at {} UTC</time>",
        &t[..10],
        &t[11..16]
    )
}

fn option_button(p: &Pause, i: usize, label: &str) -> String {
    let danger = p.answer.danger.iter().any(|d| d == label);
    let class = match (danger, i) {
        (true, _) => " class=\"danger\"",
        (false, 0) => "",
        (false, _) => " class=\"alt\"",
    };
    let note = if p.timeout_default.as_deref() == Some(label) {
        "<small>Chosen if nobody answers</small>"
    } else {
        ""
    };
    format!(
        "<button type=\"submit\" name=\"choice\" value=\"{i}\"{class}><span dir=\"auto\">{}</span>{note}</button>",
        escape(label)
    )
}

/// The question with one real button per option. `action` is the page's own URL;
/// `error` explains why a submitted form was not accepted; `draft` refills the
/// comment box then, so nothing typed is lost.
pub fn question(p: &Pause, action: &str, now: i64, error: Option<&str>, draft: &str) -> String {
    let buttons: String = p
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| option_button(p, i, o))
        .collect();
    let comment = if p.answer.allow_comment {
        format!("<div><label for=\"c\">Add a comment (optional)</label><textarea id=\"c\" name=\"comment\" rows=\"3\" maxlength=\"{MAX_COMMENT_CHARS}\" dir=\"auto\">{}</textarea></div>", escape(draft))
    } else {
        String::new()
    };
    let error = error
        .map(|e| format!("<p class=\"err\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let default_note = p
        .timeout_default
        .as_ref()
        .map(|d| {
            format!(
                " If nobody answers, <strong dir=\"auto\">{}</strong> is chosen.",
                escape(d)
            )
        })
        .unwrap_or_default();
    let deadline = rfc3339(p.expires_at);
    let body = format!(
        "<div class=\"card\">{}{error}<form method=\"post\" action=\"{}\" aria-labelledby=\"q\">{comment}{buttons}</form><p class=\"meta\">Time left: {} (until <time datetime=\"{deadline}\">{} UTC</time>).{default_note}</p></div>",
        heading(p),
        escape(action),
        time_left(p.expires_at - now),
        &deadline[11..16],
    );
    document("Your answer is needed", &body)
}

/// The question with one choice preselected (from an email button): one button
/// confirms it by POST, so a mail scanner following the link answers nothing.
pub fn preselected(p: &Pause, action: &str, choice: usize, now: i64) -> String {
    let Some(label) = p.options.get(choice) else {
        return question(p, action, now, None, "");
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

/// "Are you sure?" for a destructive option: the same form again with `confirm`,
/// and a way back. Nothing changes until the person confirms.
pub fn confirm(p: &Pause, action: &str, choice: usize, comment: Option<&str>) -> String {
    let label = escape(p.options.get(choice).map(String::as_str).unwrap_or(""));
    let comment = comment
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            format!(
                "<input type=\"hidden\" name=\"comment\" value=\"{}\">",
                escape(c)
            )
        })
        .unwrap_or_default();
    let action = escape(action);
    let body = format!(
        "<div class=\"card\">{}<p class=\"state\" id=\"sure\">Are you sure you want to choose <strong dir=\"auto\">{label}</strong>?</p><form method=\"post\" action=\"{action}\" aria-labelledby=\"sure\"><input type=\"hidden\" name=\"choice\" value=\"{choice}\"><input type=\"hidden\" name=\"confirm\" value=\"1\">{comment}<button type=\"submit\" class=\"danger solid\">Yes, <span dir=\"auto\">{label}</span></button><a class=\"btn alt\" href=\"{action}\">Back</a></form></div>",
        heading(p),
    );
    document("Confirm your answer", &body)
}

/// The state after the pause was resolved, with a headline for the visitor.
/// `just_answered` is true right after this visitor's own tap.
pub fn final_state(p: &Pause, just_answered: bool) -> String {
    let choice = || {
        format!(
            "<strong>{}</strong>",
            escape(p.response_choice.as_deref().unwrap_or(""))
        )
    };
    let at = |t: Option<i64>| t.map(when).unwrap_or_default();
    let detail = match (p.status, p.responded_by) {
        (
            Status::Responded | Status::TimedOut,
            Some(Responder::Approvers | Responder::NoAgreement),
        ) => policy_page::decision(p).unwrap_or_default(),
        (Status::Responded, Some(Responder::TimeoutDefault)) => format!(
            "<p class=\"state\">This request expired. The default answer {} was applied {}.</p>",
            choice(),
            at(p.responded_at)
        ),
        (Status::Responded, _) => {
            let comment = p
                .response_comment
                .as_deref()
                .map(|c| format!("<p class=\"ctx\" dir=\"auto\">{}</p>", escape(c)))
                .map(|c| format!("<p class=\"muted\">Comment:</p>{c}"))
                .unwrap_or_default();
            if just_answered {
                format!(
                    "<p class=\"state\" role=\"status\"><span class=\"ok\">&#10003; Your answer was recorded.</span><br>You chose {} {}.</p>{comment}<p class=\"muted\">You can close this page.</p>",
                    choice(),
                    at(p.responded_at)
                )
            } else {
                let via = match p.responded_via.as_deref() {
                    Some("page") | None => String::new(),
                    Some(v) => format!(" from {}", escape(&capitalise(v))),
                };
                format!(
                    "<p class=\"state\">Already answered: {}{via} {}.</p>{comment}",
                    choice(),
                    at(p.responded_at)
                )
            }
        }
        (Status::TimedOut, _) => format!(
            "<p class=\"state\">This request expired {} without an answer. Nothing more is needed from you.</p>",
            when(p.expires_at)
        ),
        (Status::Cancelled, _) => format!(
            "<p class=\"state\">This request was withdrawn by {} {}. Nothing more is needed from you.</p>",
            escape(&p.requester_name),
            at(p.cancelled_at)
        ),
        (Status::Pending, _) => String::new(),
    };
    let body = format!("<div class=\"card\">{}{detail}</div>", heading(p));
    let title = if just_answered {
        "Answer recorded"
    } else {
        "Request status"
    };
    document(title, &body)
}

pub fn invalid_link() -> String {
    document(
        "Link not valid",
        "<div class=\"card\"><h1>This link is not valid</h1><p class=\"muted\">Check that the whole link was opened. If it came in a message, ask the sender for a new one.</p></div>",
    )
}

/// A link past its expiry and grace period: nothing about the request is shown.
pub fn expired_link() -> String {
    document(
        "Link expired",
        "<div class=\"card\"><h1>This link has expired</h1><p class=\"muted\">The request it was sent for is over, and the link no longer opens it. Nothing more is needed from you.</p></div>",
    )
}

/// Too many page requests from one address in a short time.
pub fn too_many_requests(retry_after_seconds: u32) -> String {
    document(
        "Too many requests",
        &format!("<div class=\"card\"><h1>Too many requests</h1><p class=\"muted\">This address opened response links too often. Try again in {retry_after_seconds} seconds.</p></div>"),
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
        let html = question(&p, "/r/abc", 2_000, None, "");
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<b>Yes"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.len() < 10 * 1024);
    }

    #[test]
    fn question_has_a_button_per_option_and_time_left() {
        let p = sample(Some("Reject"));
        let html = question(&p, "/r/abc", 10_000 - 3_600_000, None, "");
        assert_eq!(html.matches("<button").count(), 2);
        assert!(html.contains("value=\"1\""));
        assert!(html.contains("Time left: 1 h 0 min (until"));
        assert!(html.contains(">Reject</strong> is chosen"));
        assert!(!html.contains("<textarea"), "no comment box unless allowed");
    }

    #[test]
    fn preselected_view_needs_one_post_for_the_chosen_option() {
        let p = sample(None);
        let h = preselected(&p, "/r/tok", 1, p.created_at);
        assert_eq!(h.matches("<button").count(), 1);
        assert!(h.contains("name=\"choice\" value=\"1\"") && h.contains("method=\"post\""));
        assert!(h.contains("href=\"/r/tok\""));
        assert_eq!(
            preselected(&p, "/r/tok", 9, p.created_at),
            question(&p, "/r/tok", p.created_at, None, "")
        );
    }

    #[test]
    fn final_states_say_what_happened() {
        let mut p = sample(Some("Reject"));
        p.respond(0, 5_000, "slack").unwrap();
        let html = final_state(&p, false);
        assert!(html.contains("Already answered: <strong>Approve</strong> from Slack on"));
        assert!(!html.contains("<button"));
        let mut t = sample(Some("Reject"));
        t.expire_if_due(10_000);
        assert!(final_state(&t, false).contains("default answer <strong>Reject</strong>"));
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_stylesheet() {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS));
        assert!(
            CSP.contains(&format!("style-src 'sha256-{hash}'")),
            "update CSP to {hash}"
        );
        assert!(!CSP.contains("unsafe-inline") && !CSP.contains("script-src"));
        // The stylesheet is inserted verbatim, or the hash would not match.
        let html = question(&sample(None), "/r/abc", 2_000, None, "");
        assert!(html.contains(&format!("<style>{CSS}</style>")));
    }

    #[test]
    fn a_full_size_request_stays_under_10_kb() {
        let mut p = sample(Some("Option number 9 with a long label here!!"));
        p.message = "Q".repeat(crate::core::request::MAX_MESSAGE_CHARS);
        p.answer.context = Some("C".repeat(crate::core::request::MAX_CONTEXT_CHARS));
        p.options = (0..10)
            .map(|i| format!("Option number {i} with a long label here!!"))
            .collect();
        p.answer.danger = vec![p.options[3].clone()];
        p.answer.allow_comment = true;
        p.requester_name = "N".repeat(80);
        let html = question(
            &p,
            "/r/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            2_000,
            Some("Choose one of the options."),
            "",
        );
        assert!(html.len() < 10 * 1024, "{} bytes", html.len());
    }

    #[test]
    fn hints_style_the_default_and_danger_options() {
        let mut p = sample(Some("Reject"));
        p.options.push("Delete all".into());
        p.answer.danger = vec!["Delete all".into()];
        let html = question(&p, "/r/abc", 2_000, None, "");
        assert!(html.contains("value=\"2\" class=\"danger\""));
        assert!(html.contains("value=\"1\" class=\"alt\"><span dir=\"auto\">Reject</span><small>Chosen if nobody answers</small>"));
        assert_eq!(html.matches("<small>").count(), 1);
    }

    #[test]
    fn the_comment_box_is_labelled_and_bounded() {
        let mut p = sample(None);
        p.answer.allow_comment = true;
        let html = question(&p, "/r/abc", 2_000, None, "");
        assert!(html.contains("<label for=\"c\">"));
        assert!(html.contains("<textarea id=\"c\" name=\"comment\" rows=\"3\" maxlength=\"500\""));
        // The textarea comes before the buttons, so the focus order reads naturally.
        assert!(html.find("<textarea").unwrap() < html.find("<button").unwrap());
    }

    #[test]
    fn the_confirmation_step_carries_the_choice_and_the_comment() {
        let mut p = sample(None);
        p.options[1] = "Delete <all>".into();
        let html = confirm(&p, "/r/abc", 1, Some("be \"careful\""));
        assert!(html.contains("<input type=\"hidden\" name=\"choice\" value=\"1\"><input type=\"hidden\" name=\"confirm\" value=\"1\">"));
        assert!(html.contains("value=\"be &quot;careful&quot;\""));
        assert!(html.contains("Yes, <span dir=\"auto\">Delete &lt;all&gt;</span></button>"));
        assert!(html.contains("<a class=\"btn alt\" href=\"/r/abc\">Back</a>"));
        assert_eq!(html.matches("<button").count(), 1);
    }

    #[test]
    fn right_to_left_text_keeps_its_direction_and_context_shows() {
        let mut p = sample(None);
        p.message = "\u{05d4}\u{05d0}\u{05dd} \u{05dc}\u{05d0}\u{05e9}\u{05e8}?".into();
        p.answer.context = Some("<i>ctx</i>".into());
        let html = question(&p, "/r/abc", 2_000, None, "");
        assert!(html.contains("<h1 id=\"q\" dir=\"auto\">\u{05d4}"));
        assert!(html.contains("<p class=\"ctx\" dir=\"auto\">&lt;i&gt;ctx&lt;/i&gt;</p>"));
    }

    #[test]
    fn after_a_tap_the_page_says_what_was_chosen_and_when() {
        let mut p = sample(None);
        p.answer.allow_comment = true;
        p.respond_with_comment(
            1,
            Some("<b>later</b>"),
            true,
            86_400_000 + 14 * 3_600_000 + 2 * 60_000,
            "page",
        )
        .unwrap();
        let html = final_state(&p, true);
        assert!(html.contains("Your answer was recorded."));
        assert!(html.contains("You chose <strong>Reject</strong> on <time datetime=\"1970-01-02T14:02:00.000Z\">1970-01-02 at 14:02 UTC</time>."));
        assert!(html.contains("&lt;b&gt;later&lt;/b&gt;"));
        let again = final_state(&p, false);
        assert!(again.contains("Already answered: <strong>Reject</strong> on"));
        assert!(!again.contains("<button") && !again.contains("<form"));
    }

    #[test]
    fn expired_and_rate_limited_pages_show_nothing_of_the_request() {
        let html = expired_link();
        assert!(html.contains("This link has expired"));
        assert!(!html.contains("<form") && !html.contains("<button"));
        let html = too_many_requests(60);
        assert!(html.contains("Too many requests") && html.contains("60 seconds"));
        assert!(!html.contains("<form"));
    }
}
