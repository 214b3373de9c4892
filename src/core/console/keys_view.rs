//! Keys and secrets: the key list, create / rotate (with a grace period) / revoke, and
//! rotating a webhook signing secret. A new secret is shown once, with a copy button.
//! Viewers see the list without the forms (and the server refuses them anyway).

use super::view::{csrf_field, escape, notice, secret_once, utc};
use crate::core::error::ApiError;
use crate::core::keys::KeyMode;

/// A key as the page shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyView {
    pub id: String,
    pub mode: KeyMode,
    /// `pp_live_…abcd`
    pub display: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub active: bool,
}

/// Grace periods offered when rotating a key, in seconds, with their labels.
pub(crate) const GRACE_CHOICES: &[(i64, &str)] = &[
    (0, "none (stops now)"),
    (3_600, "1 hour"),
    (86_400, "24 hours"),
    (604_800, "7 days"),
];

/// The rotate form's grace field: only the offered values.
pub(crate) fn parse_grace(v: Option<&str>) -> Result<i64, ApiError> {
    v.and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|g| GRACE_CHOICES.iter().any(|(s, _)| s == g))
        .ok_or_else(|| {
            ApiError::invalid("grace_seconds", "Choose one of the offered grace periods.")
        })
}

/// The mode field of the create and rotate-secret forms.
pub(crate) fn parse_mode(v: Option<&str>) -> Result<KeyMode, ApiError> {
    v.and_then(KeyMode::parse)
        .ok_or_else(|| ApiError::invalid("mode", "Mode must be live or test."))
}

/// What the page says after an action.
pub(crate) enum Outcome<'a> {
    None,
    /// A new secret to show once: (label, secret), and a sentence.
    Secret(&'a str, &'a str, &'a str),
    Done(&'a str),
    Failed(&'a str),
}

fn state(k: &KeyView, now: i64) -> String {
    match (k.active, k.revoked_at, k.expires_at) {
        (true, _, Some(t)) if t > now => format!("active until {}", utc(t)),
        (true, _, _) => "active".into(),
        (false, Some(t), _) => format!("revoked {}", utc(t)),
        (false, _, Some(t)) => format!("ended {}", utc(t)),
        _ => "inactive".into(),
    }
}

/// The body of the keys page.
pub(crate) fn keys_page(
    keys: &[KeyView],
    can_manage: bool,
    csrf: &str,
    outcome: Outcome,
    now: i64,
) -> String {
    let mut out = String::new();
    match outcome {
        Outcome::Secret(label, secret, text) => {
            out.push_str(&notice(true, text));
            out.push_str(&secret_once(label, "new-secret", secret));
        }
        Outcome::Done(text) => out.push_str(&notice(true, text)),
        Outcome::Failed(text) => out.push_str(&notice(false, text)),
        Outcome::None => {}
    }
    if !can_manage {
        out.push_str("<p class=\"muted\">You are a viewer: you can see the keys but not create, rotate or revoke them.</p>");
    }
    out.push_str("<div class=\"scroll\"><table class=\"cp\"><thead><tr><th scope=\"col\">Key</th><th scope=\"col\" class=\"hide-sm\">Mode</th><th scope=\"col\" class=\"hide-sm\">Created</th><th scope=\"col\">State</th>");
    if can_manage {
        out.push_str("<th scope=\"col\">Actions</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for k in keys {
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td class=\"hide-sm\">{}</td><td class=\"hide-sm\">{}</td><td>{}</td>",
            escape(&k.display),
            k.mode.as_str(),
            utc(k.created_at),
            state(k, now)
        ));
        if can_manage {
            out.push_str("<td class=\"row-actions\">");
            if k.active && k.expires_at.is_none() {
                let id = escape(&k.id);
                out.push_str(&format!(
                    "<form method=\"post\" action=\"/console/keys/{id}/rotate\">{}<label for=\"g-{id}\">Grace</label> <select id=\"g-{id}\" name=\"grace_seconds\">",
                    csrf_field(csrf)
                ));
                for (s, label) in GRACE_CHOICES {
                    out.push_str(&format!("<option value=\"{s}\">{label}</option>"));
                }
                out.push_str(&format!(
                    "</select> <button type=\"submit\" aria-label=\"Rotate {d}\">Rotate</button></form>\
<form method=\"post\" action=\"/console/keys/{id}/revoke\">{c}<button type=\"submit\" class=\"danger\" aria-label=\"Revoke {d}\">Revoke</button></form>",
                    d = escape(&k.display),
                    c = csrf_field(csrf)
                ));
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    if can_manage {
        let mode_select = |id: &str| {
            format!("<label for=\"{id}\">Mode</label> <select id=\"{id}\" name=\"mode\"><option value=\"live\">Live</option><option value=\"test\">Test</option></select>")
        };
        out.push_str(&format!(
            "<h2>New key</h2><form class=\"filters\" method=\"post\" action=\"/console/keys\">{}<div>{}</div><div><button type=\"submit\">Create key</button></div></form>",
            csrf_field(csrf),
            mode_select("k-mode")
        ));
        out.push_str(&format!(
            "<h2>Webhook signing secret</h2><p>A new secret signs every webhook from now on; the previous one keeps signing beside it for 24 hours, so receivers can switch without losing events.</p>\
<form class=\"filters\" method=\"post\" action=\"/console/webhook-secret/rotate\">{}<div>{}</div><div><button type=\"submit\">Rotate signing secret</button></div></form>",
            csrf_field(csrf),
            mode_select("s-mode")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(active: bool, expires_at: Option<i64>) -> KeyView {
        KeyView {
            id: "key_1".into(),
            mode: KeyMode::Live,
            display: "pp_live_…abcd".into(),
            created_at: 0,
            revoked_at: None,
            expires_at,
            active,
        }
    }

    #[test]
    fn viewers_get_no_forms_and_managers_get_csrf_on_each() {
        let keys = [key(true, None)];
        let viewer = keys_page(&keys, false, "t", Outcome::None, 0);
        assert!(!viewer.contains("<form") && viewer.contains("pp_live_…abcd"));
        let owner = keys_page(&keys, true, "t", Outcome::None, 0);
        assert_eq!(owner.matches("<form").count(), 4);
        assert_eq!(owner.matches("name=\"csrf\" value=\"t\"").count(), 4);
    }

    #[test]
    fn a_key_in_its_grace_period_says_until_when_and_has_no_actions() {
        let html = keys_page(&[key(true, Some(86_400_000))], true, "t", Outcome::None, 0);
        assert!(html.contains("active until"));
        assert!(!html.contains("/keys/key_1/rotate") && !html.contains("/keys/key_1/revoke"));
    }

    #[test]
    fn a_new_secret_is_shown_with_a_copy_button() {
        let html = keys_page(
            &[],
            true,
            "t",
            Outcome::Secret("Live key", "pp_live_<s>", "Created."),
            0,
        );
        assert!(html.contains("pp_live_&lt;s&gt;") && html.contains("data-copy=\"new-secret\""));
    }

    #[test]
    fn form_fields_are_checked() {
        assert_eq!(parse_grace(Some("3600")).unwrap(), 3600);
        for bad in [
            None,
            Some(""),
            Some("5"),
            Some("-1"),
            Some("1e3"),
            Some("９"),
        ] {
            assert_eq!(parse_grace(bad).unwrap_err().param(), Some("grace_seconds"));
        }
        assert_eq!(parse_mode(Some("test")).unwrap(), KeyMode::Test);
        assert!(parse_mode(Some("prod")).is_err() && parse_mode(None).is_err());
    }

    proptest::proptest! {
        #[test]
        fn form_fields_are_total(v in proptest::prelude::any::<String>()) {
            let _ = parse_grace(Some(&v));
            let _ = parse_mode(Some(&v));
        }
    }
}
