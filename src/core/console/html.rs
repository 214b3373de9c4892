//! The console's HTML: one layout, the signed-out pages (sign up, sign in, the magic
//! link's confirm and refusal pages), and the shell every signed-in page sits in.
//! Everything from outside goes through `escape`. No inline style or script: the CSP
//! allows only the stylesheet and script served from `/console/assets/`.

use serde_json::Value;

use super::auth::LinkPurpose;
use super::Role;
use crate::core::time::parse_rfc3339;

/// The response page's policy plus `connect-src 'self'`: the live lists fetch from us.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
pub const CSS: &str = include_str!("console.css");
pub const JS: &str = include_str!("console.js");

/// The response page's escaping: one set of rules for every page we write.
pub use crate::core::page_html::escape;

/// A whole document around `body`.
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"same-origin\">\
<title>{} · PausePoint console</title>\
<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
<script src=\"/console/assets/console.js\" defer></script></head><body>{body}</body></html>",
        escape(title)
    )
}

/// A signed-out page: the brand and one card.
fn card(title: &str, inner: &str) -> String {
    document(
        title,
        &format!(
            "<header class=\"bar\"><a class=\"brand\" href=\"/console\">PausePoint</a></header>\
<main class=\"narrow\"><h1>{}</h1>{inner}</main>",
            escape(title)
        ),
    )
}

fn error_line(error: Option<&str>) -> String {
    error.map_or(String::new(), |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))
    })
}

pub fn sign_up(error: Option<&str>, email: &str, team: &str) -> String {
    card(
        "Create your team",
        &format!(
            "<p>Start free. No credit card. We email you a link; it opens your console.</p>{}\
<form method=\"post\" action=\"/console/sign-up\" class=\"stack\">\
<label for=\"email\">Work email</label>\
<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required maxlength=\"254\" value=\"{}\">\
<label for=\"team\">Team name</label>\
<input id=\"team\" name=\"team\" type=\"text\" autocomplete=\"organization\" required maxlength=\"80\" value=\"{}\">\
<button type=\"submit\">Email me a sign-up link</button></form>\
<p class=\"muted\">Already have a team? <a href=\"/console/sign-in\">Sign in</a>.</p>",
            error_line(error),
            escape(email),
            escape(team)
        ),
    )
}

pub fn sign_in(error: Option<&str>, email: &str) -> String {
    card(
        "Sign in",
        &format!(
            "<p>We email you a link that signs you in. It works once, for 15 minutes.</p>{}\
<form method=\"post\" action=\"/console/sign-in\" class=\"stack\">\
<label for=\"email\">Email</label>\
<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required maxlength=\"254\" value=\"{}\">\
<button type=\"submit\">Email me a sign-in link</button></form>\
<p class=\"muted\">New here? <a href=\"/console/sign-up\">Create a team</a>.</p>",
            error_line(error),
            escape(email)
        ),
    )
}

/// The same page whether or not the address has an account.
pub fn check_email(email: &str) -> String {
    card(
        "Check your email",
        &format!(
            "<p>If <strong>{}</strong> can use PausePoint, a link is on its way to it. \
The link works once and expires in 15 minutes.</p>\
<p class=\"muted\">Nothing arrived? Check the spam folder, or <a href=\"/console/sign-in\">ask for a new link</a>.</p>",
            escape(email)
        ),
    )
}

/// Opening a link changes nothing (mail scanners open links): a button confirms it.
pub fn link_confirm(purpose: LinkPurpose, team: Option<&str>, path: &str) -> String {
    let (title, button) = match purpose {
        LinkPurpose::SignUp => ("Confirm your email", "Create my team and open the console"),
        LinkPurpose::Invite => ("Join your team", "Join and open the console"),
        LinkPurpose::SignIn => ("Sign in", "Sign in to the console"),
    };
    let team = team.map_or(String::new(), |t| {
        format!("<p>Team: <strong>{}</strong></p>", escape(t))
    });
    card(
        title,
        &format!(
            "{team}<form method=\"post\" action=\"{}\" class=\"stack\"><button type=\"submit\">{button}</button></form>",
            escape(path)
        ),
    )
}

pub fn link_refused(r: super::auth::LinkRefusal) -> String {
    use super::auth::LinkRefusal::*;
    let (title, text) = match r {
        Expired => (
            "This link has expired",
            "Sign-in links work for 15 minutes. Ask for a new one below.",
        ),
        Used => (
            "This link was already used",
            "Each link works once. If that was you, you are signed in in the browser that used it; otherwise ask for a new link below.",
        ),
        Unknown => (
            "This link is not valid",
            "It may have been copied incompletely. Ask for a new one below.",
        ),
    };
    card(
        title,
        &format!(
            "<p>{text}</p><p><a class=\"button\" href=\"/console/sign-in\">Get a new sign-in link</a></p>"
        ),
    )
}

/// A plain message page (refusals, errors) with a way back.
pub fn message(title: &str, text: &str) -> String {
    card(
        title,
        &format!(
            "<p>{}</p><p><a href=\"/console\">Back to the console</a></p>",
            escape(text)
        ),
    )
}

/// Who is looking, for the shell.
pub struct Viewer<'a> {
    pub team: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub csrf: &'a str,
}

pub const NAV: &[(&str, &str)] = &[
    ("/console", "Home"),
    ("/console/pauses", "Pauses"),
    ("/console/audit", "Audit"),
    ("/console/keys", "Keys"),
    ("/console/usage", "Usage"),
    ("/console/team", "Team"),
];

/// A signed-in page: the bar (team, navigation, member, sign out) and `content`.
pub fn shell(v: &Viewer, active: &str, title: &str, content: &str) -> String {
    let nav: String = NAV
        .iter()
        .map(|(href, label)| {
            let current = if *href == active {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<a href=\"{href}\"{current}>{label}</a>")
        })
        .collect();
    document(
        title,
        &format!(
            "<header class=\"bar\"><a class=\"brand\" href=\"/console\">PausePoint</a>\
<span class=\"team\">{}</span><nav aria-label=\"Console\">{nav}</nav>\
<form method=\"post\" action=\"/console/sign-out\" class=\"who\">{}\
<span>{} <span class=\"role\">{}</span></span><button type=\"submit\" class=\"link\">Sign out</button></form></header>\
<main><h1>{}</h1>{content}</main>",
            escape(v.team),
            csrf_field(v.csrf),
            escape(v.email),
            v.role.as_str(),
            escape(title)
        ),
    )
}

pub fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(csrf)
    )
}

/// The keys of a new account, shown once.
pub struct NewKeys<'a> {
    pub live: &'a str,
    pub test: &'a str,
}

/// Home: the first screen (keys shown once, when `keys` is given), the quick start,
/// "send me a test pause" and the recent pauses, updating while open.
/// `email_ok`: the plan includes the email channel (the Free plan sends SMS only),
/// so the test pause may go to the member's own address.
pub fn home(
    v: &Viewer,
    base: &str,
    keys: Option<&NewKeys>,
    recent: &str,
    notice: Option<&str>,
    email_ok: bool,
) -> String {
    let keys_html = match keys {
        Some(k) => format!(
            "<section class=\"panel keys\" aria-labelledby=\"keys-h\"><h2 id=\"keys-h\">Your API keys</h2>\
<p class=\"warn\">Shown once: copy them now. We store only their hashes.</p>\
<dl><dt>Live key</dt><dd><code id=\"live-key\">{}</code> <button type=\"button\" data-copy=\"live-key\">Copy</button></dd>\
<dt>Test key</dt><dd><code id=\"test-key\">{}</code> <button type=\"button\" data-copy=\"test-key\">Copy</button></dd></dl></section>",
            escape(k.live),
            escape(k.test)
        ),
        None => String::new(),
    };
    let key = keys.map_or("$PAUSEPOINT_KEY", |k| k.live);
    let quick = format!(
        "curl {base}/v1/pause \\\n  -H \"Authorization: Bearer {key}\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{{\"channel\": \"sms\", \"recipient\": \"+15551234567\", \"message\": \"Deploy to production?\", \"options\": [\"Approve\", \"Reject\"], \"timeout_seconds\": 600}}'\n\n\
# then wait for the answer (up to 55 s per call):\ncurl \"{base}/v1/pause/PAUSE_ID?wait=55\" -H \"Authorization: Bearer {key}\""
    );
    let (label, value, hint) = if email_ok {
        ("Phone number or email", escape(v.email), "")
    } else {
        (
            "Your mobile number",
            String::new(),
            " The Free plan sends SMS; email pauses come with the Pro plan.",
        )
    };
    let send = if v.role.can_manage() {
        format!(
            "<form method=\"post\" action=\"/console/test-pause\" id=\"test-pause\" class=\"inline\">{}\
<label for=\"recipient\">{label}</label>\
<input id=\"recipient\" name=\"recipient\" required maxlength=\"254\" value=\"{value}\" placeholder=\"+15551234567\" autocomplete=\"tel\">\
<button type=\"submit\">Send me a test pause</button></form>\
<p class=\"muted\">A real pause (it counts toward this month's allowance): answer it where it arrives and watch it change below.{hint}</p>",
            csrf_field(v.csrf),
        )
    } else {
        "<p class=\"muted\">Viewers can watch pauses; an owner or admin can send a test pause.</p>"
            .to_string()
    };
    let notice = notice.map_or(String::new(), |n| {
        format!("<p class=\"notice\" role=\"status\">{}</p>", escape(n))
    });
    shell(
        v,
        "/console",
        if keys.is_some() {
            "Welcome to PausePoint"
        } else {
            "Home"
        },
        &format!(
            "{notice}{keys_html}<section class=\"panel\" aria-labelledby=\"qs-h\"><h2 id=\"qs-h\">Quick start</h2>\
<pre><code id=\"quickstart\">{}</code></pre><button type=\"button\" data-copy=\"quickstart\">Copy</button></section>\
<section class=\"panel\" aria-labelledby=\"tp-h\"><h2 id=\"tp-h\">Send a test pause</h2>{send}\
<p id=\"test-status\" role=\"status\" class=\"muted\"></p></section>\
<section class=\"panel\" aria-labelledby=\"rp-h\"><h2 id=\"rp-h\">Recent pauses</h2>\
<div id=\"recent\" data-live=\"/console/recent\">{recent}</div>\
<p><a href=\"/console/pauses\">All pauses</a></p></section>",
            escape(&quick)
        ),
    )
}

fn age(created_at: Option<&str>, now: i64) -> String {
    let Some(at) = created_at.and_then(parse_rfc3339) else {
        return String::new();
    };
    let s = ((now - at) / 1000).max(0);
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// The recent pauses (the API's list objects) as a table: also the fragment the
/// home page's script polls.
pub fn recent(pauses: &[Value], now: i64) -> String {
    if pauses.is_empty() {
        return "<p class=\"muted\">No live pauses yet.</p>".to_string();
    }
    let field = |p: &Value, k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let rows: String = pauses
        .iter()
        .map(|p| {
            let status = field(p, "status");
            let answer = p
                .get("response_choice")
                .and_then(Value::as_str)
                .map_or(String::new(), |c| format!(": {}", escape(c)));
            format!(
                "<tr data-pause=\"{id}\"><td><span class=\"status s-{st}\">{st}</span>{answer}</td><td>{}</td><td>{}</td><td class=\"q\">{}</td><td class=\"muted\">{}</td></tr>",
                escape(&field(p, "channel")),
                escape(&field(p, "recipient")),
                escape(&field(p, "message")),
                age(p.get("created_at").and_then(Value::as_str), now),
                id = escape(&field(p, "pause_id")),
                st = escape(&status),
            )
        })
        .collect();
    format!(
        "<table class=\"cards\"><thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Channel</th><th scope=\"col\">Recipient</th>\
<th scope=\"col\">Question</th><th scope=\"col\">Age</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// A member row for the team page.
pub struct MemberRow<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub since: &'a str,
}

pub struct InviteRow<'a> {
    pub email: &'a str,
    pub role: &'a str,
    pub expires: &'a str,
}

pub fn team(
    v: &Viewer,
    me: &str,
    members: &[MemberRow],
    invites: &[InviteRow],
    error: Option<&str>,
    notice: Option<&str>,
) -> String {
    let manage = v.role.can_manage();
    let rows: String = members
        .iter()
        .map(|m| {
            let action = if manage && m.role != Role::Owner && m.id != me {
                format!(
                    "<form method=\"post\" action=\"/console/team/{}/remove\">{}<button type=\"submit\" class=\"danger\">Remove <span class=\"sr\">{}</span></button></form>",
                    escape(m.id),
                    csrf_field(v.csrf),
                    escape(m.email)
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
                escape(m.email),
                m.role.as_str(),
                escape(m.since)
            )
        })
        .collect();
    let pending: String = invites
        .iter()
        .map(|i| {
            format!(
                "<li>{} as {} (link valid until {})</li>",
                escape(i.email),
                escape(i.role),
                escape(i.expires)
            )
        })
        .collect();
    let pending = if pending.is_empty() {
        String::new()
    } else {
        format!("<h2>Pending invitations</h2><ul>{pending}</ul>")
    };
    let invite = if manage {
        format!(
            "<section class=\"panel\" aria-labelledby=\"inv-h\"><h2 id=\"inv-h\">Invite a member</h2>{}\
<form method=\"post\" action=\"/console/team/invite\" class=\"inline\">{}\
<label for=\"invite-email\">Email</label><input id=\"invite-email\" name=\"email\" type=\"email\" required maxlength=\"254\">\
<label for=\"invite-role\">Role</label><select id=\"invite-role\" name=\"role\">\
<option value=\"viewer\">Viewer: sees everything, changes nothing</option>\
<option value=\"admin\">Admin: manages keys, pauses and the team</option></select>\
<button type=\"submit\">Send invitation</button></form></section>",
            error_line(error),
            csrf_field(v.csrf)
        )
    } else {
        "<p class=\"muted\">Only the owner and admins can invite or remove members.</p>".into()
    };
    let notice = notice.map_or(String::new(), |n| {
        format!("<p class=\"notice\" role=\"status\">{}</p>", escape(n))
    });
    shell(
        v,
        "/console/team",
        "Team",
        &format!(
            "{notice}<section class=\"panel\"><table><thead><tr><th scope=\"col\">Member</th><th scope=\"col\">Role</th>\
<th scope=\"col\">Since</th><th scope=\"col\"><span class=\"sr\">Actions</span></th></tr></thead><tbody>{rows}</tbody></table>{pending}</section>{invite}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn viewer(role: Role) -> Viewer<'static> {
        Viewer {
            team: "<Acme>",
            email: "a@x.io",
            role,
            csrf: "tok",
        }
    }

    #[test]
    fn escapes_everything_from_outside() {
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
        let page = sign_up(Some("<b>"), "\"><script>", "<i>");
        assert!(!page.contains("<script>") && !page.contains("<b>") && !page.contains("<i>"));
        let v = viewer(Role::Owner);
        let h = home(&v, "http://x", None, "", None, true);
        assert!(h.contains("&lt;Acme&gt;") && !h.contains("<Acme>"));
    }

    #[test]
    fn no_inline_script_or_style() {
        let v = viewer(Role::Owner);
        let keys = NewKeys {
            live: "pp_live_1",
            test: "pp_test_1",
        };
        for page in [
            sign_in(None, ""),
            sign_up(None, "", ""),
            check_email("a@x.io"),
            home(&v, "http://x", Some(&keys), "", Some("hi"), true),
            team(&v, "m1", &[], &[], None, None),
        ] {
            assert!(
                !page.contains("<script>") && !page.contains("style=") && !page.contains("onclick")
            );
            assert!(page.len() < 50_000);
        }
    }

    #[test]
    fn keys_once_and_filled_into_the_quick_start() {
        let v = viewer(Role::Owner);
        let keys = NewKeys {
            live: "pp_live_abc",
            test: "pp_test_def",
        };
        let first = home(&v, "http://x", Some(&keys), "", None, true);
        assert!(first.contains("pp_test_def") && first.matches("pp_live_abc").count() >= 3);
        let later = home(&v, "http://x", None, "", None, true);
        assert!(!later.contains("pp_live_abc") && later.contains("$PAUSEPOINT_KEY"));
        assert!(
            later.contains("value=\"a@x.io\""),
            "the own address where email is in the plan"
        );
        let free = home(&v, "http://x", None, "", None, false);
        assert!(!free.contains("value=\"a@x.io\"") && free.contains("Your mobile number"));
    }

    #[test]
    fn viewers_get_no_manage_forms() {
        let v = viewer(Role::Viewer);
        let m = [MemberRow {
            id: "m2",
            email: "b@x.io",
            role: Role::Admin,
            since: "today",
        }];
        let t = team(&v, "m1", &m, &[], None, None);
        assert!(!t.contains("/console/team/invite") && !t.contains("/remove"));
        assert!(!home(&v, "http://x", None, "", None, true).contains("/console/test-pause"));
        let o = viewer(Role::Owner);
        let t = team(&o, "m1", &m, &[], None, None);
        assert!(t.contains("/console/team/invite") && t.contains("/console/team/m2/remove"));
    }

    #[test]
    fn recent_rows_show_status_and_answer() {
        let rows = [
            json!({"pause_id": "pause_1", "status": "responded", "response_choice": "Approve",
            "channel": "sms", "recipient": "+1555", "message": "<Deploy?>", "created_at": "2026-01-01T00:00:00Z"}),
        ];
        let now = parse_rfc3339("2026-01-01T00:02:00Z").unwrap();
        let h = recent(&rows, now);
        assert!(h.contains("responded") && h.contains("Approve") && h.contains("&lt;Deploy?&gt;"));
        assert!(h.contains("2 min ago"));
        assert!(recent(&[json!({})], 0).contains("<tr"));
    }
}
