//! Structured request logs: one JSON line per request with the request id, the method,
//! the route with every variable segment masked, the status and the duration. Never a
//! query string, a body, a header, a key, an id or a link token: `/r/{token}` is a
//! secret link, so only words this service routes on are kept.

use serde_json::json;

/// The path segments the router matches literally; everything else becomes `:id`.
const ROUTE_WORDS: &[&str] = &[
    "v1",
    "pause",
    "pauses",
    "cancel",
    "account",
    "keys",
    "rotate",
    "revoke",
    "test",
    "outbox",
    "webhooks",
    "replay",
    "webhook_secret",
    "audit",
    "verify",
    "admin",
    "accounts",
    "callbacks",
    "twilio",
    "status",
    "slack",
    "interactivity",
    "dev",
    "mcp",
    "healthz",
    ".well-known",
    "jwks.json",
    "r",
    "openapi.json",
];

/// At most this many segments are described; longer paths end in `/…`.
const MAX_SEGMENTS: usize = 8;

/// `/v1/pause/pause_4f…/cancel` → `/v1/pause/:id/cancel`; `/r/<token>` → `/r/:id`.
pub fn route_label(path: &str) -> String {
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = String::new();
    for s in segments.iter().take(MAX_SEGMENTS) {
        out.push('/');
        out.push_str(
            ROUTE_WORDS
                .iter()
                .find(|w| **w == *s)
                .copied()
                .unwrap_or(":id"),
        );
    }
    if segments.len() > MAX_SEGMENTS {
        out.push_str("/…");
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The log line of one request. `level` follows the status: `error` for 5xx.
pub fn request_line(
    request_id: &str,
    method: &str,
    path: &str,
    status: u16,
    duration_ms: i64,
) -> String {
    let level = if status >= 500 { "error" } else { "info" };
    json!({
        "level": level, "msg": "request", "request_id": request_id, "method": method,
        "route": route_label(path), "status": status, "duration_ms": duration_ms.max(0),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn variable_segments_are_masked() {
        assert_eq!(
            route_label("/v1/pause/pause_4f0c1e7a/cancel"),
            "/v1/pause/:id/cancel"
        );
        assert_eq!(
            route_label("/r/69SbWqjIApvde_nlawwZ7tRmUr3ZCU-AG0Q"),
            "/r/:id"
        );
        assert_eq!(
            route_label("/v1/pause/p1/webhooks/evt_1/replay"),
            "/v1/pause/:id/webhooks/:id/replay"
        );
        assert_eq!(route_label("/healthz"), "/healthz");
        assert_eq!(route_label(""), "/");
        assert_eq!(
            route_label("/a/b/c/d/e/f/g/h/i/j"),
            "/:id/:id/:id/:id/:id/:id/:id/:id/…"
        );
    }

    #[test]
    fn the_line_is_json_with_the_request_id_and_no_link() {
        let line = request_line("req_5f0c", "POST", "/r/SECRETTOKEN", 409, 12);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["request_id"], "req_5f0c");
        assert_eq!(v["route"], "/r/:id");
        assert_eq!(
            (v["status"].as_u64(), v["level"].as_str()),
            (Some(409), Some("info"))
        );
        assert!(!line.contains("SECRETTOKEN"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&request_line("r", "GET", "/", 503, -5))
                .unwrap()["level"],
            "error"
        );
    }

    proptest! {
        #[test]
        fn no_part_of_an_unknown_path_is_logged(path in any::<String>()) {
            let label = route_label(&path);
            for part in label.split('/').filter(|s| !s.is_empty()) {
                prop_assert!(part == ":id" || part == "…" || ROUTE_WORDS.contains(&part), "{part:?}");
            }
        }
    }
}
