//! Which browser origins may call the service: CORS for the REST API (closed unless
//! `CORS_ALLOWED_ORIGINS` lists the origin) and the stricter Origin check of `/mcp`
//! (a DNS-rebinding defence). Pure: the adapter passes the configured values in.

/// Does `CORS_ALLOWED_ORIGINS` (comma-separated, or `*`) let `origin` read responses?
/// Unset, CORS is closed.
pub fn cors_allows(allowed: Option<&str>, origin: &str) -> bool {
    allowed.is_some_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    })
}

/// The response headers that grant `origin` (already checked by [`cors_allows`]).
/// Preflights are answered with the same set, so the two cannot disagree.
pub fn cors_headers(origin: &str) -> [(&'static str, String); 6] {
    [
        ("access-control-allow-origin", origin.to_string()),
        ("vary", "Origin".into()),
        (
            "access-control-allow-methods",
            "GET, POST, DELETE, OPTIONS".into(),
        ),
        (
            "access-control-allow-headers",
            "authorization, content-type, idempotency-key".into(),
        ),
        ("access-control-expose-headers", EXPOSED_HEADERS.join(", ")),
        ("access-control-max-age", "600".into()),
    ]
}

/// Response headers a browser client may read.
pub const EXPOSED_HEADERS: &[&str] = &[
    "request-id",
    "retry-after",
    "idempotent-replayed",
    "server-timing",
];

/// The origin of `PUBLIC_BASE_URL`, or one listed in `MCP_ALLOWED_ORIGINS`
/// (comma-separated). Never the request's own URL or Host: the client controls those
/// (DNS rebinding). Clients that are not browsers send no Origin at all.
pub fn mcp_origin_allowed(
    public_base_url: Option<&str>,
    allowlist: Option<&str>,
    presented: &str,
) -> bool {
    let presented = presented.trim().trim_end_matches('/');
    if presented.is_empty() || presented == "null" {
        return false;
    }
    let base_origin = public_base_url
        .and_then(|b| url::Url::parse(b).ok())
        .map(|u| u.origin().ascii_serialization());
    base_origin.is_some_and(|b| b.eq_ignore_ascii_case(presented))
        || allowlist.is_some_and(|list| {
            list.split(',')
                .map(|o| o.trim().trim_end_matches('/'))
                .any(|o| !o.is_empty() && o.eq_ignore_ascii_case(presented))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cors_is_closed_unless_listed() {
        assert!(!cors_allows(None, "https://app.example"));
        assert!(!cors_allows(Some(""), "https://app.example"));
        let list = Some("https://app.example, http://localhost:5173");
        assert!(cors_allows(list, "https://app.example"));
        assert!(cors_allows(list, "HTTPS://APP.example"));
        assert!(cors_allows(list, "http://localhost:5173"));
        assert!(!cors_allows(list, "https://app.example.evil"));
        assert!(!cors_allows(list, "null"));
        assert!(cors_allows(Some("*"), "https://anything.example"));
    }

    #[test]
    fn cors_headers_grant_the_origin_and_expose_ours() {
        let h = cors_headers("https://app.example");
        let get = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
        assert_eq!(
            get("access-control-allow-origin"),
            Some("https://app.example")
        );
        assert_eq!(get("vary"), Some("Origin"));
        let exposed = get("access-control-expose-headers").unwrap();
        for name in EXPOSED_HEADERS {
            assert!(exposed.contains(name));
        }
        assert!(get("access-control-allow-headers")
            .unwrap()
            .contains("idempotency-key"));
    }

    #[test]
    fn mcp_origins_are_checked_against_the_configured_base_and_allowlist_only() {
        let base = Some("https://pausepoint.example.com/");
        let list = Some("https://agent.example, http://localhost:5173/ ,");
        assert!(mcp_origin_allowed(
            base,
            list,
            "https://pausepoint.example.com"
        ));
        assert!(mcp_origin_allowed(
            base,
            list,
            "https://PausePoint.example.com/"
        ));
        assert!(mcp_origin_allowed(base, list, "https://agent.example"));
        assert!(mcp_origin_allowed(base, list, "http://localhost:5173"));
        for bad in [
            "https://evil.example",
            "null",
            "",
            " ",
            "https://agent.example.evil",
            "http://pausepoint.example.com",
        ] {
            assert!(!mcp_origin_allowed(base, list, bad), "{bad}");
        }
        // Nothing configured: no browser origin is allowed, whatever the request says.
        assert!(!mcp_origin_allowed(None, None, "http://127.0.0.1:8787"));
        assert!(!mcp_origin_allowed(
            Some("not a url"),
            Some(""),
            "not a url"
        ));
        // `*` is not a wildcard here: /mcp lists its origins one by one.
        assert!(!mcp_origin_allowed(None, Some("*"), "https://evil.example"));
    }

    proptest! {
        #[test]
        fn origin_checks_are_total(o in any::<String>(), list in any::<String>()) {
            prop_assert!(!mcp_origin_allowed(None, None, &o));
            prop_assert!(!cors_allows(None, &o));
            let _ = mcp_origin_allowed(Some(&list), Some(&list), &o);
            if cors_allows(Some(&list), &o) {
                prop_assert!(list.split(',').any(|x| x.trim() == "*" || x.trim().eq_ignore_ascii_case(&o)));
            }
        }
    }
}
