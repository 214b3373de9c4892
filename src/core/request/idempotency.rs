//! The `Idempotency-Key` header as a type: once parsed it is 1 to 255 printable ASCII
//! characters, so the stores and the logs never see anything else.

use crate::core::error::ApiError;

pub const MAX_KEY_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        if raw.is_empty()
            || raw.len() > MAX_KEY_CHARS
            || !raw.bytes().all(|c| (0x20..0x7f).contains(&c))
        {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "`Idempotency-Key` must be 1 to 255 printable ASCII characters, e.g. a UUID.",
            ));
        }
        Ok(IdempotencyKey(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn printable_ascii_up_to_255() {
        let k = IdempotencyKey::parse("8c1f0a2e-7b1d-4c1e-9d8a-1f2b3c4d5e6f").unwrap();
        assert_eq!(k.as_str(), "8c1f0a2e-7b1d-4c1e-9d8a-1f2b3c4d5e6f");
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse(" spaces are printable ").is_ok());
        for bad in [
            String::new(),
            "k".repeat(256),
            "tab\there".into(),
            "é".into(),
            "\u{7f}".into(),
        ] {
            let e = IdempotencyKey::parse(&bad).unwrap_err();
            assert_eq!(e.param(), Some("Idempotency-Key"), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parsing_is_total_and_accepts_only_printable_ascii(s in any::<String>()) {
            if let Ok(k) = IdempotencyKey::parse(&s) {
                prop_assert_eq!(k.as_str(), s.as_str());
                prop_assert!(!s.is_empty() && s.len() <= 255);
                prop_assert!(s.bytes().all(|c| (0x20..0x7f).contains(&c)));
            }
        }
    }
}
