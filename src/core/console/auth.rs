//! Tokens of the console: magic links and sessions (random, stored as SHA-256
//! hashes), the CSRF token derived from a session's secret, the cookie, the Origin
//! check, and the two inputs sign-up asks for (an address and a team name).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::core::ids::hex;

pub const SESSION_COOKIE: &str = "pp_session";
/// Sessions end after a week; signing out ends one at once.
pub const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// Magic links expire after 15 minutes unless configured shorter (tests).
pub const DEFAULT_LINK_TTL_SECONDS: u64 = 15 * 60;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_TEAM_NAME_CHARS: usize = 80;

/// A fresh bearer token (link or session) from 32 random bytes: base64url, 43 chars.
pub fn new_token(random: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// What is stored of a token. Total over any input.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Does `s` have the shape of one of our tokens? Anything else is refused unread.
pub fn is_token_shaped(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The CSRF token of a session: HMAC of a fixed label under the session's secret, so
/// it is the same on every page of the session and worthless outside it.
pub fn csrf_token(csrf_secret: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(csrf_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    m.update(b"pausepoint-console-csrf-v1");
    hex(&m.finalize().into_bytes())
}

pub fn csrf_ok(csrf_secret: &str, presented: Option<&str>) -> bool {
    csrf_ok_token(&csrf_token(csrf_secret), presented)
}

/// Compares a presented CSRF token with the session's, in constant time.
pub fn csrf_ok_token(expected: &str, presented: Option<&str>) -> bool {
    presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(expected.as_bytes())))
}

/// Is a state-changing request from our own pages? A foreign `Origin` or a
/// cross-site `Sec-Fetch-Site` is refused; browsers send at least one on a POST.
pub fn same_origin(origin: Option<&str>, fetch_site: Option<&str>, own: &[&str]) -> bool {
    let origin_ok = origin.is_none_or(|o| own.iter().any(|own| own.eq_ignore_ascii_case(o)));
    let site_ok = fetch_site.is_none_or(|s| matches!(s, "same-origin" | "none"));
    origin_ok && site_ok
}

/// The `Set-Cookie` value of a session (`None`: the cookie that ends it).
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let (value, age) = match token {
        Some(t) => (t, SESSION_TTL_MS / 1000),
        None => ("", 0),
    };
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/console; HttpOnly; SameSite=Lax; Max-Age={age}{secure}"
    )
}

/// The session token in a `Cookie` header, if it carries one of the right shape.
pub fn session_from_cookie(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| is_token_shaped(v))
}

/// An email address as typed: trimmed, lower-cased, one `@` with a dotted domain,
/// no spaces or controls, at most 254 characters. Loose on purpose: the magic link
/// is the real check.
pub fn parse_email(raw: &str) -> Result<String, &'static str> {
    let e = raw.trim().to_lowercase();
    if e.is_empty() {
        return Err("Enter your email address.");
    }
    if e.chars().count() > MAX_EMAIL_CHARS {
        return Err("That address is too long.");
    }
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && e.chars().all(|c| !c.is_whitespace() && !c.is_control())
                && !e.contains(['<', '>', '"', '(', ')', ',', ';', '\\'])
        }
        None => false,
    };
    if ok {
        Ok(e)
    } else {
        Err("Enter an email address like you@example.com.")
    }
}

/// A team name: trimmed, 1 to 80 characters, no control characters.
pub fn parse_team_name(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        Err("Enter a name for your team.")
    } else if t.chars().count() > MAX_TEAM_NAME_CHARS {
        Err("A team name has at most 80 characters.")
    } else if t.chars().any(char::is_control) {
        Err("A team name cannot contain control characters.")
    } else {
        Ok(t.to_string())
    }
}

/// What a magic link does when confirmed. Stored in D1 (`magic_links.purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    SignUp,
    SignIn,
    Invite,
}

impl LinkPurpose {
    pub const ALL: [LinkPurpose; 3] = [
        LinkPurpose::SignUp,
        LinkPurpose::SignIn,
        LinkPurpose::Invite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::SignUp => "sign_up",
            LinkPurpose::SignIn => "sign_in",
            LinkPurpose::Invite => "invite",
        }
    }

    pub fn parse(s: &str) -> Option<LinkPurpose> {
        LinkPurpose::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Why a magic link cannot be used, for the page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    Unknown,
    Expired,
    Used,
}

/// The state of a stored link at `now`.
pub fn link_state(expires_at: i64, used_at: Option<i64>, now: i64) -> Result<(), LinkRefusal> {
    if used_at.is_some() {
        Err(LinkRefusal::Used)
    } else if now >= expires_at {
        Err(LinkRefusal::Expired)
    } else {
        Ok(())
    }
}

/// Rate-limit keys: one per address, one per client.
pub fn address_key(email: &str) -> String {
    format!("console:email:{}", token_hash(email))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn link_purposes_round_trip() {
        for p in LinkPurpose::ALL {
            assert_eq!(LinkPurpose::parse(p.as_str()), Some(p));
            let json = format!("\"{}\"", p.as_str());
            assert_eq!(serde_json::to_string(&p).unwrap(), json);
            assert_eq!(serde_json::from_str::<LinkPurpose>(&json).unwrap(), p);
        }
        assert_eq!(LinkPurpose::parse("signup"), None);
    }

    #[test]
    fn tokens_are_shaped_and_hashed() {
        let t = new_token(&[7; 32]);
        assert!(is_token_shaped(&t));
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), token_hash(&new_token(&[8; 32])));
        assert!(!is_token_shaped("short"));
        assert!(!is_token_shaped(&"a".repeat(42).replace('a', "é")));
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let t = csrf_token("secret-a");
        assert!(csrf_ok("secret-a", Some(&t)));
        assert!(!csrf_ok("secret-b", Some(&t)));
        assert!(!csrf_ok("secret-a", None));
        assert!(!csrf_ok("secret-a", Some("")));
    }

    #[test]
    fn origin_checks() {
        let own = ["http://127.0.0.1:8787"];
        assert!(same_origin(
            Some("http://127.0.0.1:8787"),
            Some("same-origin"),
            &own
        ));
        assert!(same_origin(None, None, &own));
        assert!(!same_origin(Some("https://evil.invalid"), None, &own));
        assert!(!same_origin(None, Some("cross-site"), &own));
        assert!(!same_origin(None, Some("same-site"), &own));
        assert!(!same_origin(Some("null"), None, &own));
    }

    #[test]
    fn cookie_flags() {
        let c = session_cookie(Some("tok"), true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(c.contains("Path=/console"));
        assert!(!session_cookie(Some("tok"), false).contains("Secure"));
        assert!(session_cookie(None, true).contains("Max-Age=0"));
        let t = new_token(&[1; 32]);
        assert_eq!(
            session_from_cookie(&format!("a=b; pp_session={t}; c=d")),
            Some(t.as_str())
        );
        assert_eq!(session_from_cookie("pp_session=nope"), None);
    }

    #[test]
    fn emails_and_team_names() {
        assert_eq!(
            parse_email(" Ada@Example.COM ").as_deref(),
            Ok("ada@example.com")
        );
        for bad in [
            "", "ada", "ada@", "@x.io", "a@b", "a b@x.io", "a@x.io.", "<a@x.io>",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_team_name("  Acme  ").as_deref(), Ok("Acme"));
        assert!(parse_team_name(" ").is_err());
        assert!(parse_team_name(&"x".repeat(81)).is_err());
        assert!(parse_team_name("a\u{7}b").is_err());
    }

    #[test]
    fn links_are_single_use_and_expire() {
        assert_eq!(link_state(1000, None, 999), Ok(()));
        assert_eq!(link_state(1000, None, 1000), Err(LinkRefusal::Expired));
        assert_eq!(link_state(1000, Some(5), 10), Err(LinkRefusal::Used));
    }

    proptest! {
        #[test]
        fn parsers_are_total(s in any::<String>()) {
            let _ = parse_email(&s);
            let _ = parse_team_name(&s);
            let _ = session_from_cookie(&s);
            let _ = is_token_shaped(&s);
            let _ = csrf_ok("k", Some(&s));
            let _ = same_origin(Some(&s), Some(&s), &["http://x"]);
        }
    }
}
