//! Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(key, "{id}.{ts}.{body}"))
//! where the key is the base64-decoded part of the `whsec_` secret.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";
/// How long a rotated secret keeps signing beside its successor.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;

/// A new secret from 32 random bytes (the caller owns the RNG).
pub fn new_secret(random: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

/// The HMAC key of a `whsec_` secret; `None` if it is not one.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX)?)
        .ok()
        .filter(|k| !k.is_empty())
}

/// One `v1,<base64>` signature.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per active secret, newest first,
/// separated by spaces (verifiers accept the message if any one matches).
pub fn signature_header(secrets: &[String], msg_id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|s| secret_key(s))
        .map(|k| sign(&k, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn matches_the_reference_example() {
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn rotation_signs_with_every_active_secret() {
        let a = new_secret(&[1; 32]);
        let b = new_secret(&[2; 32]);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 44);
        let h = signature_header(&[b.clone(), a.clone()], "msg_1", 5, "{}");
        let parts: Vec<&str> = h.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&secret_key(&b).unwrap(), "msg_1", 5, "{}"));
        assert_eq!(parts[1], sign(&secret_key(&a).unwrap(), "msg_1", 5, "{}"));
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn refuses_what_is_not_a_secret() {
        assert_eq!(secret_key("sk_abc"), None);
        assert_eq!(secret_key("whsec_"), None);
        assert_eq!(secret_key("whsec_!!!"), None);
    }
}
