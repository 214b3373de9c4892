//! Property-based fuzzing of the pure parsers: arbitrary input never panics, and what
//! is accepted is well-formed. Bounded by proptest's case count (PROPTEST_CASES).

use pausepoint::core::ids::PauseId;
use pausepoint::core::phone::PhoneNumber;
use pausepoint::core::request::{parse_create, parse_webhook_url, Limits, MAX_TIMEOUT_SECONDS};
use pausepoint::core::time::{parse_rfc3339, rfc3339};
use pausepoint::core::token::{self, Claims};
use proptest::prelude::*;

const LIMITS: Limits = Limits {
    min_timeout_seconds: 60,
    max_timeout_seconds: MAX_TIMEOUT_SECONDS,
    allow_http_localhost: true,
};

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,30}".prop_map(serde_json::Value::from),
        "\\+[0-9 ()-]{0,20}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("recipient".to_string()),
                    Just("message".to_string()),
                    Just("options".to_string()),
                    Just("timeout_hours".to_string()),
                    Just("timeout_seconds".to_string()),
                    Just("timeout_default".to_string()),
                    Just("channel".to_string()),
                    Just("webhook_url".to_string()),
                    Just("metadata".to_string()),
                    Just("approvers".to_string()),
                    Just("rule".to_string()),
                    Just("escalation".to_string()),
                    Just("reminders".to_string()),
                    Just("action".to_string()),
                    Just("fallbacks".to_string()),
                    Just("type".to_string()),
                    Just("count".to_string()),
                    Just("veto".to_string()),
                    Just("after_seconds".to_string()),
                    Just("every_seconds".to_string()),
                    Just("before_timeout_seconds".to_string()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn phone_parser_never_panics_and_accepts_only_e164(s in ".{0,40}") {
        if let Ok(p) = PhoneNumber::parse(&s) {
            let n = p.as_str();
            prop_assert!(n.starts_with('+'));
            prop_assert!((9..=16).contains(&n.len()));
            prop_assert!(n[1..].bytes().all(|c| c.is_ascii_digit()) && !n[1..].starts_with('0'));
            prop_assert_eq!(PhoneNumber::parse(n).unwrap(), p.clone(), "normalising twice is stable");
        }
    }

    #[test]
    fn phone_parser_accepts_formatted_numbers(cc in 1u32..999, rest in "[0-9]{7,11}", seps in prop::collection::vec(prop::sample::select(vec![" ", "-", ".", ""]), 12)) {
        let digits = format!("{cc}{rest}");
        prop_assume!(digits.len() <= 15);
        let mut typed = String::from("+");
        for (i, c) in digits.chars().enumerate() { typed.push(c); typed.push_str(seps[i % seps.len()]); }
        let parsed = PhoneNumber::parse(&typed).unwrap();
        prop_assert_eq!(parsed.as_str(), format!("+{digits}"));
    }

    #[test]
    fn token_verify_never_panics_and_rejects_junk(s in ".{0,60}") {
        prop_assert!(token::verify(b"secret-key-of-some-length", &s).is_err());
    }

    #[test]
    fn tokens_round_trip_and_resist_single_byte_changes(id in any::<[u8; 12]>(), exp in any::<u32>(), pos in 0usize..35, ch in "[A-Za-z0-9_-]") {
        let c = Claims { pause_id: PauseId(id), expires_at: exp, approver: None };
        let t = token::sign(b"k-0123456789abcdef", c);
        prop_assert_eq!(token::verify(b"k-0123456789abcdef", &t), Ok(c));
        let mut b = t.clone().into_bytes();
        b[pos] = ch.as_bytes()[0];
        let altered = String::from_utf8(b).unwrap();
        if altered != t {
            // The last character carries 2 padding bits: a change there may decode equal.
            if let Ok(got) = token::verify(b"k-0123456789abcdef", &altered) { prop_assert_eq!(got, c); prop_assert_eq!(pos, 34); }
        }
    }

    #[test]
    fn create_parser_never_panics_on_any_json(v in json_value()) {
        let body = v.to_string();
        if let Ok(p) = parse_create(body.as_bytes(), &LIMITS) {
            prop_assert!(p.options.len() >= 2);
            prop_assert!(p.timeout_seconds >= 60 && p.timeout_seconds <= MAX_TIMEOUT_SECONDS);
            if let Some(d) = &p.timeout_default { prop_assert!(p.options.contains(d)); }
        }
    }

    /// Arbitrary JSON (and Unicode) in every policy field of an otherwise valid
    /// multi-approver request: an error or a well-formed policy, never a panic.
    #[test]
    fn policy_fields_are_total(field in prop::sample::select(vec!["approvers", "rule", "escalation", "reminders", "action", "a0", "a0.fallbacks", "a0.id", "a0.name", "rule.veto", "rule.count", "esc0"]), v in json_value(), text in any::<String>(), as_text in any::<bool>()) {
        let v = if as_text { serde_json::Value::from(text) } else { v };
        let mut body = serde_json::json!({
            "message": "q?", "options": ["Approve", "Reject"], "timeout_hours": 4,
            "approvers": [{"recipient": "+13128471928"}, {"channel": "email", "recipient": "l@example.com"}],
            "rule": {"type": "quorum", "count": 2, "veto": ["Reject"]},
            "escalation": [{"after_seconds": 600, "approvers": [{"recipient": "+13125550100"}]}],
        });
        match field {
            "a0" => body["approvers"][0] = v,
            "a0.fallbacks" => body["approvers"][0]["fallbacks"] = v,
            "a0.id" => body["approvers"][0]["id"] = v,
            "a0.name" => body["approvers"][0]["name"] = v,
            "rule.veto" => body["rule"]["veto"] = v,
            "rule.count" => body["rule"]["count"] = v,
            "esc0" => body["escalation"][0] = v,
            k => body[k] = v,
        }
        match parse_create(body.to_string().as_bytes(), &LIMITS) {
            Ok(p) => {
                let policy = p.policy.expect("approvers were sent");
                prop_assert!(!policy.approvers.is_empty() && policy.approvers.len() <= 10);
                prop_assert!(policy.escalation.windows(2).all(|w| w[0] < w[1]));
                for a in &policy.approvers { prop_assert!(!a.contacts.is_empty() && !a.id.is_empty()); }
                if let Some(a) = &p.action { prop_assert!(serde_json::to_vec(a).unwrap().len() <= 8192); }
            }
            Err(e) => prop_assert!(e.param().is_some() || e.code() == "invalid_json"),
        }
    }

    #[test]
    fn create_parser_never_panics_on_any_bytes(b in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_create(&b, &LIMITS);
    }

    #[test]
    fn webhook_url_parser_never_panics(s in ".{0,80}") {
        if let Ok(u) = parse_webhook_url(&s, &LIMITS) {
            prop_assert!(u.starts_with("https://") || u.to_ascii_lowercase().starts_with("http://"));
            prop_assert!(!u.contains('@') || u.split("://").nth(1).unwrap().split(['/', '?', '#']).next().unwrap().find('@').is_none());
        }
    }

    #[test]
    fn time_round_trips(ms in 0i64..253_402_300_799_999) {
        prop_assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
    }

    #[test]
    fn time_parser_never_panics(s in ".{0,40}") {
        let _ = parse_rfc3339(&s);
    }
}

mod signatures {
    use pausepoint::core::page_form;
    use pausepoint::core::providers::{email, slack, twilio};
    use pausepoint::core::webhook::schedule::parse_retry_after;
    use pausepoint::core::webhook::sign;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn slack_signatures_verify_only_the_signed_body(secret in "[a-f0-9]{32}", ts in 1_700_000_000i64..1_900_000_000, body in prop::collection::vec(any::<u8>(), 0..300), junk in ".{0,80}", flip in any::<prop::sample::Index>()) {
            let t = ts.to_string();
            let good = slack::signature(&secret, &t, &body);
            prop_assert!(slack::verify(&secret, &t, &body, &good, ts));
            prop_assert!(!slack::verify(&secret, &t, &body, &good, ts + 301), "outside the 5-minute window");
            prop_assert!(!slack::verify(&secret, &t, &body, &junk, ts) || junk == good);
            if !body.is_empty() {
                let mut other = body.clone();
                let i = flip.index(other.len());
                other[i] ^= 1;
                prop_assert!(!slack::verify(&secret, &t, &other, &good, ts));
            }
            let _ = slack::parse_click(&body);
        }

        #[test]
        fn email_events_verify_only_the_signed_body(key in any::<[u8; 32]>(), id in ".{0,40}", ts in 1_700_000_000i64..1_900_000_000, body in ".{0,300}", junk in ".{0,120}", flip in any::<prop::sample::Index>()) {
            let secret = sign::new_secret(&key);
            let t = ts.to_string();
            let good = sign::sign(&sign::secret_key(&secret).unwrap(), &id, ts, &body);
            prop_assert!(email::verify_event(&secret, &id, &t, body.as_bytes(), &good, ts));
            prop_assert!(email::verify_event(&secret, &id, &t, body.as_bytes(), &[junk.as_str(), good.as_str()].join(" "), ts + 300));
            prop_assert!(!email::verify_event(&secret, &id, &t, body.as_bytes(), &good, ts - 301), "outside the 5-minute window");
            prop_assert!(!email::verify_event(&secret, &id, &t, body.as_bytes(), &junk, ts) || junk.split(' ').any(|j| j == good));
            if !body.is_empty() {
                let mut other = body.clone().into_bytes();
                let i = flip.index(other.len());
                other[i] ^= 1;
                prop_assert!(!email::verify_event(&secret, &id, &t, &other, &good, ts));
            }
            let _ = email::parse_event(body.as_bytes());
        }

        #[test]
        fn twilio_signatures_verify_only_the_signed_request(token in "[a-f0-9]{32}", url in "https://[a-z]{3,10}\\.example/[a-z/?=&]{0,30}", params in prop::collection::vec(("[A-Za-z]{1,12}", ".{0,20}"), 0..8), junk in ".{0,40}") {
            let params: Vec<(String, String)> = params;
            let good = twilio::signature(&token, &url, &params);
            prop_assert!(twilio::verify(&token, &url, &params, &good));
            let other_url = url.clone() + "x";
            prop_assert!(!twilio::verify(&token, &other_url, &params, &good));
            prop_assert!(!twilio::verify(&token, &url, &params, &junk) || junk == good);
            let _ = twilio::classify(400, &junk);
        }

        #[test]
        fn webhook_signing_parsers_never_panic(secret in ".{0,60}", header in ".{0,40}", body in ".{0,200}") {
            let _ = sign::secret_key(&secret);
            let _ = parse_retry_after(&header, 1_800_000_000_000);
            let _ = page_form::parse(body.as_bytes());
        }
    }
}

/// Every parser of outside text, fed arbitrary Unicode (`any::<String>()`), arbitrary
/// bytes, and valid prefixes followed by arbitrary Unicode (where slicing bugs hide):
/// none may panic, since a panic in wasm tears the instance down.
mod total {
    use pausepoint::core::audit::parse_filter;
    use pausepoint::core::ids::{unhex, PauseId};
    use pausepoint::core::keys::{mode_of, secrets_equal};
    use pausepoint::core::mcp;
    use pausepoint::core::page_form;
    use pausepoint::core::pause::Status;
    use pausepoint::core::phone::PhoneNumber;
    use pausepoint::core::plans::{period_of, Plan};
    use pausepoint::core::providers::{email, slack, twilio};
    use pausepoint::core::request::{
        parse_create, parse_object, parse_wait, parse_webhook_url, whole_number, IdempotencyKey,
        Limits, ListQuery, MAX_TIMEOUT_SECONDS,
    };
    use pausepoint::core::routes::{resolve, Routing};
    use pausepoint::core::time::{parse_rfc3339, rfc3339};
    use pausepoint::core::token;
    use pausepoint::core::webhook::schedule::{parse_retry_after, Schedule, MAX_RETRY_AFTER_MS};
    use pausepoint::core::webhook::sign;
    use proptest::prelude::*;

    const LIMITS: Limits = Limits {
        min_timeout_seconds: 60,
        max_timeout_seconds: MAX_TIMEOUT_SECONDS,
        allow_http_localhost: true,
    };

    /// Arbitrary text: any Unicode string, or arbitrary bytes read as UTF-8 lossily.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            prop::collection::vec(any::<u8>(), 0..64)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            // Multi-byte characters in every position, the class that broke `time.rs`.
            prop::collection::vec(
                prop::sample::select(vec!['a', '0', ':', '+', '-', '.', 'é', '€', '𝄞', ' ', 'Z']),
                0..30
            )
            .prop_map(|c| c.into_iter().collect()),
        ]
    }

    /// A valid-looking prefix (possibly cut short at a character boundary) followed by
    /// arbitrary Unicode.
    fn around(prefixes: &'static [&'static str]) -> impl Strategy<Value = String> {
        (
            prop::sample::select(prefixes),
            any::<prop::sample::Index>(),
            any::<bool>(),
            text(),
        )
            .prop_map(|(p, cut, whole, tail)| {
                let bounds: Vec<usize> = (0..=p.len()).filter(|i| p.is_char_boundary(*i)).collect();
                let end = if whole {
                    p.len()
                } else {
                    bounds[cut.index(bounds.len())]
                };
                format!("{}{tail}", &p[..end])
            })
    }

    /// Valid inputs with a few spans replaced by short strings of ASCII and multi-byte
    /// characters: this is how a 2-byte character lands where a parser slices by byte.
    fn mutated(valid: &'static [&'static str]) -> impl Strategy<Value = String> {
        let piece = prop::collection::vec(
            prop::sample::select(vec!['a', '0', ':', '+', '.', 'é', '€', '𝄞', 'Z', ' ']),
            0..3,
        );
        (
            prop::sample::select(valid),
            prop::collection::vec((any::<prop::sample::Index>(), 0usize..3, piece), 1..4),
        )
            .prop_map(|(v, edits)| {
                let mut chars: Vec<char> = v.chars().collect();
                for (at, span, with) in edits {
                    let start = at.index(chars.len() + 1);
                    let end = (start + span).min(chars.len());
                    chars.splice(start..end, with);
                }
                chars.into_iter().collect()
            })
    }

    const TIMES: &[&str] = &[
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.5Z",
        "2026-01-01T00:00:00+",
        "2026-01-01T00:00:00+a",
        "2026-01-01T00:00:00.",
        "2026-01-01T00:00:00.123",
        "2026-11-29T14:12:05+01:00",
        "2026-11-29 14:12:05Z",
    ];
    const RETRY_AFTERS: &[&str] = &[
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37+a",
        "Sun, 06 Nov 1994 08:49:37+01:00 GMT",
        "Sun, 06 Nov 99999999999 08:49:37 GMT",
        "18446744073709551615",
        "120",
    ];

    proptest! {
        // Cheap parsers get many cases: the failures hide in narrow corners.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn rfc3339_is_total(s in prop_oneof![text(), around(TIMES), mutated(TIMES)]) {
            if let Some(ms) = parse_rfc3339(&s) {
                prop_assert!(s.is_ascii());
                // What parses formats back to an instant that parses to the same value.
                prop_assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
            }
        }

        #[test]
        fn retry_after_is_total_and_bounded(
            s in prop_oneof![text(), around(RETRY_AFTERS), mutated(RETRY_AFTERS), mutated(TIMES)],
            tail in prop::sample::select(vec!["", " GMT", "Z"]),
            now in any::<i64>(),
        ) {
            let v = format!("{s}{tail}");
            if let Some(ms) = parse_retry_after(&v, now) {
                prop_assert!((0..=MAX_RETRY_AFTER_MS).contains(&ms), "{ms}");
            }
            let _ = Schedule::parse(&v);
        }
    }

    proptest! {
        #[test]
        fn rfc3339_formats_any_instant(ms in any::<i64>()) {
            let _ = rfc3339(ms);
            let _ = period_of(ms);
        }

        #[test]
        fn phone_numbers_are_total(s in prop_oneof![text(), around(&["+1", "+1 (312) ", "00", "whatsapp:+"]), mutated(&["+1 (312) 847-1928", "0049 30 901820"])]) {
            if let Ok(p) = PhoneNumber::parse(&s) {
                prop_assert_eq!(PhoneNumber::parse(p.as_str()), Ok(p.clone()));
            }
        }

        #[test]
        fn tokens_are_total(s in prop_oneof![text(), around(&["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])]) {
            prop_assert!(token::verify(b"secret-key-of-some-length", &s).is_err());
        }

        #[test]
        fn ids_and_cursors_are_total(s in prop_oneof![text(), around(&["pause_", "pause_0123456789abcdef01234567", "evt_", "key_", "msg_"])]) {
            if let Some(id) = PauseId::parse(&s) {
                prop_assert_eq!(id.to_string(), s.clone());
            }
            let _ = unhex(&s);
            let _ = mode_of(&s);
            let _ = secrets_equal(&s, "pp_live_0000000000000000000000000000000000000000");
            let _ = (Plan::parse(&s), Status::parse(&s));
        }

        #[test]
        fn idempotency_keys_are_total(s in text()) {
            if let Ok(k) = IdempotencyKey::parse(&s) {
                let k = k.as_str();
                prop_assert!(!k.is_empty() && k.len() <= 255 && k.bytes().all(|c| (0x20..0x7f).contains(&c)));
            }
        }

        #[test]
        fn wait_is_total_and_bounded(s in prop_oneof![text(), around(&["0.", "55", "1e", "-0", "NaN", "inf"])]) {
            if let Ok(ms) = parse_wait(Some(&s), "wait") {
                prop_assert!(ms <= 55_000);
            }
        }

        #[test]
        fn list_queries_are_total(status in text(), limit in prop_oneof![text(), around(&["1", "100", "4294967296"])], cursor in text()) {
            if let Ok(q) = ListQuery::parse(Some(&status), Some(&limit), Some(cursor)) {
                prop_assert!((1..=100).contains(&q.limit));
            }
        }

        #[test]
        fn audit_filters_are_total(pairs in prop::collection::vec((prop_oneof![
            prop::sample::select(vec!["pause_id", "type", "actor", "since", "until", "cursor", "limit", "format"]).prop_map(String::from),
            text(),
        ], prop_oneof![text(), around(TIMES), mutated(TIMES), around(&["api_key:", "evt_", "pause_"])]), 0..6)) {
            if let Ok(f) = parse_filter(&pairs) {
                prop_assert!((1..=500).contains(&f.limit));
            }
        }

        #[test]
        fn json_bodies_are_total(b in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..200),
            text().prop_map(String::into_bytes),
            text().prop_map(|s| serde_json::json!({ "recipient": s.clone(), "message": s.clone(), "options": [s.clone(), "b"], "webhook_url": s, "channel": "email" }).to_string().into_bytes()),
            (text(), prop::sample::select(vec!["sms", "email", "slack", "whatsapp"])).prop_map(|(s, c)| serde_json::json!({ "recipient": s, "message": "m", "options": ["a", "b"], "channel": c, "timeout_default": "a" }).to_string().into_bytes()),
        ]) {
            let _ = parse_create(&b, &LIMITS);
            let _ = parse_object(&b);
            let _ = mcp::parse_message(&b);
        }

        #[test]
        fn webhook_urls_are_total(s in prop_oneof![text(), around(&["https://", "http://[", "http://127.0.0.1:", "https://a@"]), mutated(&["https://hooks.example.com:8443/p?x=1", "http://[::1]:9000/hook"])]) {
            let _ = parse_webhook_url(&s, &LIMITS);
        }

        #[test]
        fn forms_and_provider_callbacks_are_total(
            b in prop_oneof![prop::collection::vec(any::<u8>(), 0..300), text().prop_map(String::into_bytes), text().prop_map(|s| format!("payload={}", s).into_bytes())],
            header in text(),
            ts in prop_oneof![text(), any::<i64>().prop_map(|n| n.to_string())],
            now in any::<i64>(),
            status in any::<u16>(),
        ) {
            let _ = page_form::parse(&b);
            let _ = slack::parse_click(&b);
            let _ = slack::parse_button_value(&header);
            prop_assert!(!slack::verify("secret", &ts, &b, &header, now));
            prop_assert!(!email::verify_event("whsec_c2VjcmV0", &header, &ts, &b, &header, now));
            if let Some(e) = email::parse_event(&b) {
                let _ = email::report(&e.kind);
            }
            let params: Vec<(String, String)> = url::form_urlencoded::parse(&b).into_owned().collect();
            let _ = twilio::verify("token", &header, &params, &header);
            let _ = twilio::explain(&header);
            let body = String::from_utf8_lossy(&b);
            let _ = (twilio::classify(status, &body), slack::classify(status, &body), email::classify(status, &body));
        }

        #[test]
        fn mcp_envelopes_are_total(header in text(), name in text(), v in super::json_value()) {
            let msg = serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": name.clone(), "params": v.clone() });
            let _ = mcp::parse_message(msg.to_string().as_bytes());
            let params = serde_json::json!({ "_meta": { mcp::META_VERSION_KEY: v.clone() }, "protocolVersion": v.clone() });
            let params = params.as_object().unwrap();
            let _ = mcp::check_version(Some(&header), params);
            let _ = mcp::initialize_result(params, "1");
            let _ = mcp::negotiate(Some(&header));
            let _ = mcp::Tool::parse(&name);
            if let Some(n) = whole_number(&v) {
                prop_assert_eq!(v.as_f64(), Some(n as f64));
            }
            let args = serde_json::json!({ "x": v });
            let _ = mcp::arg_text(args.as_object().unwrap(), "x");
        }

        #[test]
        fn webhook_secrets_are_total(s in prop_oneof![text(), around(&["whsec_", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])], body in text()) {
            let _ = sign::secret_key(&s);
            let _ = sign::signature_header(std::slice::from_ref(&s), &body, 1, &body);
        }

        #[test]
        fn routes_are_total(path in prop_oneof![text(), around(&["/v1/pause/", "/r/", "/callbacks/", "/v1/keys/"])], method in prop_oneof![text(), prop::sample::select(vec!["GET", "HEAD", "POST", "DELETE", "TRACE", "QUERY", "head"]).prop_map(String::from)]) {
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            match resolve(&segments, &method) {
                Routing::Dispatch(m) => prop_assert!(["GET", "POST", "DELETE"].contains(&m)),
                Routing::MethodNotAllowed(allow) => prop_assert!(!allow.is_empty()),
                Routing::NotFound => {}
            }
        }
    }
}
