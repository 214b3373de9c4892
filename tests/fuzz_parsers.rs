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
        let c = Claims { pause_id: PauseId(id), expires_at: exp };
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
    use pausepoint::core::providers::{slack, twilio};
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
