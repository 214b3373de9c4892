//! The route table: every path the service answers and the methods it has there.
//! A known path asked with another method is `405` with `Allow`; anything else is 404.
//! The router dispatches only what this table allows, so the two cannot disagree.

/// `*` is one path segment (an id or a token). HEAD is answered wherever GET is.
const ROUTES: &[(&str, &str)] = &[
    ("healthz", "GET, HEAD"),
    // Receipt verification keys (public).
    (".well-known/jwks.json", "GET, HEAD"),
    ("r/*", "GET, HEAD, POST"),
    ("callbacks/twilio/status", "POST"),
    ("callbacks/slack/interactivity", "POST"),
    ("callbacks/email/events", "POST"),
    ("admin/accounts", "POST"),
    ("dev/outbox", "GET, HEAD"),
    // JSON responses only: no SSE stream to GET, no session to DELETE.
    ("mcp", "POST"),
    ("v1/pause", "POST"),
    ("v1/pause/*", "GET, HEAD, DELETE"),
    ("v1/pause/*/cancel", "POST"),
    ("v1/pause/*/webhooks", "GET, HEAD"),
    ("v1/pause/*/webhooks/*/replay", "POST"),
    ("v1/pauses", "GET, HEAD"),
    ("v1/account", "GET, HEAD"),
    ("v1/keys", "GET, HEAD, POST"),
    ("v1/keys/*", "DELETE"),
    ("v1/keys/*/rotate", "POST"),
    ("v1/keys/*/revoke", "POST"),
    ("v1/test/outbox", "GET, HEAD"),
    ("v1/webhook_secret/rotate", "POST"),
    ("v1/audit", "GET, HEAD"),
    ("v1/audit/verify", "GET, HEAD"),
    // The console (HTML; forms POST).
    ("console", "GET, HEAD"),
    ("console/assets/*", "GET, HEAD"),
    ("console/sign-up", "GET, HEAD, POST"),
    ("console/sign-in", "GET, HEAD, POST"),
    ("console/link/*", "GET, HEAD, POST"),
    ("console/sign-out", "POST"),
    ("console/recent", "GET, HEAD"),
    ("console/test-pause", "POST"),
    ("console/team", "GET, HEAD"),
    ("console/team/invite", "POST"),
    ("console/team/*/remove", "POST"),
    // The console's pages of pauses, audit, keys and usage (cpages).
    ("console/pauses", "GET, HEAD"),
    ("console/pauses/rows", "GET, HEAD"),
    ("console/pauses/*", "GET, HEAD"),
    ("console/pauses/*/cancel", "POST"),
    ("console/pauses/*/webhooks/*/replay", "POST"),
    ("console/audit", "GET, HEAD"),
    ("console/audit/export", "GET, HEAD"),
    ("console/audit/verify", "GET, HEAD"),
    ("console/keys", "GET, HEAD, POST"),
    ("console/keys/*/rotate", "POST"),
    ("console/keys/*/revoke", "POST"),
    ("console/webhook-secret/rotate", "POST"),
    ("console/usage", "GET, HEAD"),
];

/// The `Allow` value of a path (segments without the slashes), if it is one of ours.
pub fn allowed_methods(segments: &[&str]) -> Option<&'static str> {
    ROUTES
        .iter()
        .find(|(pattern, _)| {
            pattern.split('/').count() == segments.len()
                && pattern
                    .split('/')
                    .zip(segments)
                    .all(|(p, s)| p == "*" || p == *s)
        })
        .map(|(_, allowed)| *allowed)
}

/// Does `allowed` (an `Allow` value) list `method` (upper case)?
pub fn permits(allowed: &str, method: &str) -> bool {
    allowed.split(", ").any(|m| m == method)
}

/// How a request is routed: to a handler, or refused before any handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// Dispatch with this method (HEAD becomes GET: the runtime drops the body).
    Dispatch(&'static str),
    MethodNotAllowed(&'static str),
    NotFound,
}

/// Routes a method (as sent, any case) on a path split into segments.
pub fn resolve(segments: &[&str], method: &str) -> Routing {
    let Some(allowed) = allowed_methods(segments) else {
        return Routing::NotFound;
    };
    let method = method.to_ascii_uppercase();
    match ["GET", "HEAD", "POST", "DELETE"]
        .into_iter()
        .find(|m| *m == method && permits(allowed, m))
    {
        Some("HEAD") => Routing::Dispatch("GET"),
        Some(m) => Routing::Dispatch(m),
        None => Routing::MethodNotAllowed(allowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(path: &str) -> Vec<&str> {
        path.trim_matches('/').split('/').collect()
    }

    #[test]
    fn known_paths_dispatch_their_methods_and_refuse_others() {
        assert_eq!(
            resolve(&seg("/v1/pause"), "POST"),
            Routing::Dispatch("POST")
        );
        assert_eq!(
            resolve(&seg("/v1/pause"), "GET"),
            Routing::MethodNotAllowed("POST")
        );
        assert_eq!(
            resolve(&seg("/v1/pause/pause_1"), "head"),
            Routing::Dispatch("GET")
        );
        for m in ["TRACE", "QUERY", "PUT", "PATCH", "CONNECT", "PROPFIND", ""] {
            assert_eq!(
                resolve(&seg("/v1/pause/pause_1"), m),
                Routing::MethodNotAllowed("GET, HEAD, DELETE"),
                "{m}"
            );
        }
        assert_eq!(
            resolve(&seg("/v1/keys/key_1"), "DELETE"),
            Routing::Dispatch("DELETE")
        );
        assert_eq!(
            resolve(&seg("/v1/pause/p/webhooks/msg_1/replay"), "POST"),
            Routing::Dispatch("POST")
        );
        assert_eq!(
            resolve(&seg("/mcp"), "GET"),
            Routing::MethodNotAllowed("POST")
        );
        assert_eq!(resolve(&seg("/r/tok"), "POST"), Routing::Dispatch("POST"));
        assert_eq!(resolve(&seg("/console/"), "GET"), Routing::Dispatch("GET"));
        assert_eq!(
            resolve(&seg("/console/sign-out"), "GET"),
            Routing::MethodNotAllowed("POST")
        );
        assert_eq!(
            resolve(&seg("/console/team/mem_1/remove"), "POST"),
            Routing::Dispatch("POST")
        );
        assert_eq!(
            resolve(&seg("/console/pauses/rows"), "GET"),
            Routing::Dispatch("GET")
        );
        assert_eq!(
            resolve(&seg("/console/pauses/pause_1/cancel"), "GET"),
            Routing::MethodNotAllowed("POST")
        );
        assert_eq!(
            resolve(&seg("/console/keys"), "POST"),
            Routing::Dispatch("POST")
        );
        assert_eq!(
            resolve(&seg("/console/keys/key_1/revoke"), "DELETE"),
            Routing::MethodNotAllowed("POST")
        );
        assert_eq!(
            resolve(&seg("/console/pauses/p/webhooks/msg_1/replay"), "POST"),
            Routing::Dispatch("POST")
        );
    }

    #[test]
    fn unknown_paths_are_not_found_whatever_the_method() {
        for p in [
            "/",
            "/v1",
            "/v1/nope",
            "/v1/pause/a/b",
            "/r",
            "/r/a/b",
            "/healthz/x",
        ] {
            assert_eq!(resolve(&seg(p), "GET"), Routing::NotFound, "{p}");
            assert_eq!(resolve(&seg(p), "TRACE"), Routing::NotFound, "{p}");
        }
    }

    #[test]
    fn every_allow_value_lists_real_methods_and_head_with_get() {
        for (pattern, allowed) in ROUTES {
            for m in allowed.split(", ") {
                assert!(["GET", "HEAD", "POST", "DELETE"].contains(&m), "{pattern}");
            }
            assert_eq!(
                permits(allowed, "GET"),
                permits(allowed, "HEAD"),
                "{pattern}"
            );
        }
    }
}
