//! API keys: `pp_live_…` / `pp_test_…`, stored only as SHA-256 hashes.

use sha2::{Digest, Sha256};

use super::ids::hex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyMode {
    Live,
    Test,
}

impl KeyMode {
    pub const ALL: [KeyMode; 2] = [KeyMode::Live, KeyMode::Test];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyMode::Live => "live",
            KeyMode::Test => "test",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "live" => Some(KeyMode::Live),
            "test" => Some(KeyMode::Test),
            _ => None,
        }
    }
}

/// A new key's secret form (shown once) and what is stored about it.
pub struct NewKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
    pub last4: String,
}

pub fn new_key(mode: KeyMode, random: &[u8; 20]) -> NewKey {
    let prefix = format!("pp_{}_", mode.as_str());
    let secret = format!("{prefix}{}", hex(random));
    NewKey {
        hash: hash_key(&secret),
        last4: secret[secret.len() - 4..].to_string(),
        prefix,
        secret,
    }
}

pub fn hash_key(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The mode a presented key claims, if it has the shape of one of ours at all.
pub fn mode_of(presented: &str) -> Option<KeyMode> {
    let (mode, rest) = if let Some(r) = presented.strip_prefix("pp_live_") {
        (KeyMode::Live, r)
    } else {
        (KeyMode::Test, presented.strip_prefix("pp_test_")?)
    };
    (rest.len() == 40 && rest.bytes().all(|c| c.is_ascii_hexdigit())).then_some(mode)
}

/// The shortest `ADMIN_TOKEN` the admin routes accept to run with.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// A configured `ADMIN_TOKEN` the admin routes may run with, or why not (for the log).
pub fn check_admin_token(token: &str) -> Result<(), String> {
    if token.chars().count() < MIN_ADMIN_TOKEN_CHARS {
        return Err(format!(
            "ADMIN_TOKEN is shorter than {MIN_ADMIN_TOKEN_CHARS} characters: admin routes stay off until it is replaced by a long random value (e.g. `openssl rand -hex 32`)"
        ));
    }
    Ok(())
}

/// Equality for secrets (admin token, signatures) that leaks neither content nor
/// length: the SHA-256 digests of both sides are compared in constant time.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (da, db) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    bool::from(subtle::ConstantTimeEq::ct_eq(da.as_slice(), db.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_a_stable_shape_and_hash() {
        let k = new_key(KeyMode::Live, &[0xab; 20]);
        assert!(k.secret.starts_with("pp_live_"));
        assert_eq!(k.secret.len(), 48);
        assert_eq!(mode_of(&k.secret), Some(KeyMode::Live));
        assert_eq!(k.hash, hash_key(&k.secret));
        assert_eq!(k.hash.len(), 64);
        assert_eq!(k.last4, "abab");
        assert!(!k.hash.contains(&k.secret[8..]));
        let t = new_key(KeyMode::Test, &[1; 20]);
        assert_eq!(mode_of(&t.secret), Some(KeyMode::Test));
        assert_eq!(mode_of("pp_live_short"), None);
        assert_eq!(
            mode_of("sk_live_0000000000000000000000000000000000000000"),
            None
        );
    }

    #[test]
    fn short_admin_tokens_are_refused() {
        assert!(check_admin_token("e2e-admin-token").is_err());
        assert!(check_admin_token(&"x".repeat(31)).is_err());
        assert!(
            check_admin_token(&"é".repeat(31)).is_err(),
            "characters, not bytes"
        );
        assert!(check_admin_token(&"x".repeat(32)).is_ok());
        assert!(check_admin_token("")
            .unwrap_err()
            .contains("shorter than 32 characters"));
    }

    #[test]
    fn secret_comparison() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("abc", "abcd"));
        assert!(!secrets_equal("", "a"));
        assert!(secrets_equal("", ""));
        let long = "x".repeat(10_000);
        assert!(secrets_equal(&long, &long.clone()));
        assert!(!secrets_equal(&long, &long[1..]));
    }
}
