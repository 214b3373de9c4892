//! The shape of a JSON body: an object, only known fields (a typo gets a suggestion),
//! and the field readers every body parser shares.

use serde_json::{Map, Value};

use crate::core::error::ApiError;

/// A JSON object, or an error that says what is wrong with the body.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if is_blank(body) {
        return Err(ApiError::InvalidJson(
            "The request body is empty: send a JSON object.".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::InvalidJson(
            "The request body must be a JSON object.".into(),
        )),
        Err(e) => Err(ApiError::InvalidJson(format!(
            "The request body is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        ))),
    }
}

/// An empty (or all-whitespace) body: the optional bodies treat it as `{}`.
pub fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// An optional JSON object body with only the `known` fields; empty means `{}`.
pub fn optional_object(body: &[u8], known: &[&str]) -> Result<Map<String, Value>, ApiError> {
    if is_blank(body) {
        return Ok(Map::new());
    }
    let obj = parse_object(body)?;
    reject_unknown(&obj, known)?;
    Ok(obj)
}

/// Unknown fields are refused by name, with the likely intended one (catches typos).
pub fn reject_unknown(obj: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    let mut unknown: Vec<&String> = obj
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    unknown.sort();
    let Some(first) = unknown.first() else {
        return Ok(());
    };
    let hint = suggestion(first, known)
        .map(|k| format!(" Did you mean `{k}`?"))
        .unwrap_or_default();
    Err(ApiError::UnknownParam {
        param: (*first).clone(),
        message: format!("Unknown parameter `{first}`.{hint}"),
    })
}

/// The known name closest to `name`, if it is within three edits (a typo, not a guess).
pub fn suggestion<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| k)
}

/// A required string field.
pub(crate) fn required_str<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a str, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Err(ApiError::missing(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid(
            name,
            format!("`{name}` must be a string."),
        )),
    }
}

/// A JSON number that is a whole number, written `60` or `60.0` (JSON Schema's
/// `integer` accepts both), within i64.
pub fn whole_number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// Levenshtein distance in characters (not bytes: names may be any Unicode).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn bodies_must_be_objects() {
        for body in [&b""[..], b"  \n", b"{\"a\":", b"[1]", b"\"x\"", b"\xff"] {
            assert_eq!(parse_object(body).unwrap_err().code(), "invalid_json");
        }
        assert_eq!(parse_object(b"{\"a\":1}").unwrap()["a"], json!(1));
    }

    #[test]
    fn optional_bodies_may_be_empty_but_not_unknown() {
        assert!(optional_object(b" ", &["mode"]).unwrap().is_empty());
        assert_eq!(
            optional_object(b"{\"mode\":\"x\"}", &["mode"])
                .unwrap()
                .len(),
            1
        );
        let e = optional_object(b"{\"mdoe\":\"x\"}", &["mode"]).unwrap_err();
        assert_eq!((e.code(), e.param()), ("parameter_unknown", Some("mdoe")));
        assert!(e.message().contains("Did you mean `mode`?"));
        assert_eq!(
            optional_object(b"[]", &["mode"]).unwrap_err().code(),
            "invalid_json"
        );
    }

    #[test]
    fn unknown_fields_name_the_first_in_order_and_suggest_only_near_names() {
        let obj = parse_object(br#"{"zzz":1,"nmae":2,"name":3}"#).unwrap();
        let e = reject_unknown(&obj, &["name", "plan"]).unwrap_err();
        assert_eq!(e.param(), Some("nmae"));
        assert!(e.message().ends_with("Did you mean `name`?"));
        let obj = parse_object(br#"{"completely_else":1}"#).unwrap();
        let e = reject_unknown(&obj, &["name", "plan"]).unwrap_err();
        assert_eq!(e.message(), "Unknown parameter `completely_else`.");
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("é", "e"), 1);
        assert_eq!(edit_distance("timout_default", "timeout_default"), 1);
        assert_eq!(suggestion("mdoe", &["mode", "grace_seconds"]), Some("mode"));
        assert_eq!(suggestion("🦀🦀🦀🦀🦀", &["mode"]), None);
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_fraction_of_zero() {
        assert_eq!(whole_number(&json!(60)), Some(60));
        assert_eq!(whole_number(&json!(60.0)), Some(60));
        assert_eq!(whole_number(&json!(-3)), Some(-3));
        assert_eq!(whole_number(&json!(60.5)), None);
        assert_eq!(whole_number(&json!(1e300)), None);
        assert_eq!(whole_number(&json!("60")), None);
    }

    proptest! {
        #[test]
        fn edit_distance_is_a_metric_bounded_by_length(a in any::<String>(), b in any::<String>()) {
            let d = edit_distance(&a, &b);
            prop_assert_eq!(d, edit_distance(&b, &a));
            prop_assert_eq!(edit_distance(&a, &a), 0);
            prop_assert!(d <= a.chars().count().max(b.chars().count()));
        }

        #[test]
        fn shape_checks_are_total(body in proptest::collection::vec(any::<u8>(), 0..200), key in any::<String>()) {
            let _ = parse_object(&body);
            let _ = optional_object(&body, &["mode"]);
            let mut obj = Map::new();
            obj.insert(key.clone(), Value::Null);
            match reject_unknown(&obj, &["mode"]) {
                Ok(()) => prop_assert_eq!(key.as_str(), "mode"),
                Err(e) => prop_assert_eq!(e.param(), Some(key.as_str())),
            }
        }
    }
}
