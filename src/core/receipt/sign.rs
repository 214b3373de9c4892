//! Ed25519 receipt keys: the signing key from the `RECEIPT_SIGNING_KEY` secret (a
//! private JWK), the old public keys from `RECEIPT_PUBLIC_KEYS` (a JSON array of public
//! JWKs), the JWKS that lists them, and compact JWS signing (RFC 7515, `alg: EdDSA`,
//! RFC 8037). Pure: the key material comes in as text, nothing here reads the env.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey as DalekKey};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The `typ` of a receipt's JWS header.
pub(crate) const JWS_TYP: &str = "pausepoint-receipt+jws";

/// The key receipts are signed with, and its id.
#[derive(Clone)]
pub(crate) struct SigningKey {
    kid: String,
    key: DalekKey,
}

impl std::fmt::Debug for SigningKey {
    // Never print the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

/// A JWK as written by people and tools: everything optional, checked one by one.
#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    d: Option<String>,
    kid: Option<String>,
}

/// A public receipt key: its id and the raw 32-byte Ed25519 key, base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub kid: String,
    pub x: String,
}

impl PublicKey {
    /// The JWK the JWKS lists.
    pub(crate) fn to_jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid,
               "alg": "EdDSA", "use": "sig"})
    }
}

/// Why a configured key was refused; names the member at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(s: impl Into<String>) -> KeyError {
    KeyError(s.into())
}

/// RFC 7638 thumbprint of an Ed25519 public key (the default `kid`).
pub(crate) fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

fn valid_kid(kid: &str) -> bool {
    (1..=128).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

fn key32(field: &str, text: &str) -> Result<[u8; 32], KeyError> {
    B64.decode(text.trim_end_matches('='))
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| err(format!("`{field}` must be 32 bytes in base64url")))
}

fn parse_raw(text: &str) -> Result<RawJwk, KeyError> {
    let raw: RawJwk = serde_json::from_str(text.trim())
        .map_err(|_| err("must be a JSON Web Key (a JSON object)"))?;
    if raw.kty.as_deref() != Some("OKP") {
        return Err(err("`kty` must be \"OKP\""));
    }
    if raw.crv.as_deref() != Some("Ed25519") {
        return Err(err("`crv` must be \"Ed25519\""));
    }
    if let Some(kid) = &raw.kid {
        if !valid_kid(kid) {
            return Err(err(
                "`kid` must be 1 to 128 characters of A-Z a-z 0-9 . _ : -",
            ));
        }
    }
    Ok(raw)
}

impl SigningKey {
    /// From raw seed bytes (tests, and the JWK parser below).
    pub(crate) fn from_seed(seed: &[u8; 32], kid: Option<&str>) -> Self {
        let key = DalekKey::from_bytes(seed);
        let x = B64.encode(key.verifying_key().as_bytes());
        let kid = kid.map_or_else(|| thumbprint(&x), str::to_string);
        SigningKey { kid, key }
    }

    /// `RECEIPT_SIGNING_KEY`: a private Ed25519 JWK `{"kty":"OKP","crv":"Ed25519",
    /// "d":…, "x"?:…, "kid"?:…}`. `x`, when given, must match `d` (catches a key pasted
    /// from two places); `kid` defaults to the RFC 7638 thumbprint.
    pub(crate) fn from_jwk(text: &str) -> Result<Self, KeyError> {
        let raw = parse_raw(text)?;
        let d = raw
            .d
            .as_deref()
            .ok_or_else(|| err("`d` (the private key) is missing"))?;
        let k = SigningKey::from_seed(&key32("d", d)?, raw.kid.as_deref());
        if let Some(x) = raw.x.as_deref() {
            if key32("x", x)? != k.key.verifying_key().to_bytes() {
                return Err(err("`x` is not the public key of `d`"));
            }
        }
        Ok(k)
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn public(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            x: B64.encode(self.key.verifying_key().as_bytes()),
        }
    }

    /// The compact JWS `b64url(header).b64url(payload).b64url(sig)` over `payload`.
    pub(crate) fn sign_jws(&self, payload: &[u8]) -> String {
        let header = json!({"alg": "EdDSA", "kid": self.kid, "typ": JWS_TYP});
        let mut input = B64.encode(super::jcs::canonicalize(&header));
        input.push('.');
        input.push_str(&B64.encode(payload));
        let sig = self.key.sign(input.as_bytes());
        input.push('.');
        input.push_str(&B64.encode(sig.to_bytes()));
        input
    }
}

/// `RECEIPT_PUBLIC_KEYS`: a JSON array of public JWKs (each with `kid`) that signed
/// receipts before the current key. Returns the usable keys and, for each refused entry,
/// why (the caller logs it: one bad entry must not hide the others). A private member
/// (`d`) is refused: the var is not secret.
pub(crate) fn parse_public_keys(text: &str) -> (Vec<PublicKey>, Vec<KeyError>) {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    if text.trim().is_empty() {
        return (keys, errors);
    }
    let Ok(items) = serde_json::from_str::<Vec<Value>>(text.trim()) else {
        errors.push(err("RECEIPT_PUBLIC_KEYS must be a JSON array of JWKs"));
        return (keys, errors);
    };
    for (i, item) in items.iter().enumerate() {
        let parsed = parse_raw(&item.to_string()).and_then(|raw| {
            if raw.d.is_some() {
                return Err(err("`d` is private: list only public keys here"));
            }
            let kid = raw.kid.ok_or_else(|| err("`kid` is missing"))?;
            let x = raw.x.ok_or_else(|| err("`x` is missing"))?;
            key32("x", &x)?;
            Ok(PublicKey { kid, x })
        });
        match parsed {
            Ok(k) => keys.push(k),
            Err(e) => errors.push(err(format!("RECEIPT_PUBLIC_KEYS[{i}]: {e}"))),
        }
    }
    (keys, errors)
}

/// The JWKS document: the current key first, then the old ones (a `kid` listed twice
/// is shown once, the current key winning).
pub(crate) fn jwks(current: Option<&PublicKey>, old: &[PublicKey]) -> Value {
    let mut seen: Vec<&str> = Vec::new();
    let mut keys = Vec::new();
    for k in current.into_iter().chain(old) {
        if !seen.contains(&k.kid.as_str()) {
            seen.push(&k.kid);
            keys.push(k.to_jwk());
        }
    }
    json!({ "keys": keys })
}

/// Verifies a compact JWS against public keys; returns the payload bytes. What an
/// executor does (tests use it; the examples do the same in JS and Python).
#[cfg(test)]
pub(crate) fn verify_jws(jws: &str, keys: &[PublicKey]) -> Result<Vec<u8>, &'static str> {
    use ed25519_dalek::{Signature, VerifyingKey};
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not three parts");
    };
    let header: Value =
        serde_json::from_slice(&B64.decode(h).map_err(|_| "header")?).map_err(|_| "header json")?;
    if header["alg"] != "EdDSA" {
        return Err("alg");
    }
    let key = keys
        .iter()
        .find(|k| header["kid"] == k.kid.as_str())
        .ok_or("unknown kid")?;
    let vk = VerifyingKey::from_bytes(&key32("x", &key.x).map_err(|_| "x")?).map_err(|_| "x")?;
    let sig = Signature::from_slice(&B64.decode(s).map_err(|_| "sig")?).map_err(|_| "sig")?;
    vk.verify_strict(format!("{h}.{p}").as_bytes(), &sig)
        .map_err(|_| "bad signature")?;
    B64.decode(p).map_err(|_| "payload")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::{hex, unhex};
    use proptest::prelude::*;

    fn seed(hex_str: &str) -> [u8; 32] {
        unhex(hex_str).unwrap().try_into().unwrap()
    }

    /// RFC 8032 section 7.1, TEST 1, 2, 3 and SHA(abc).
    #[test]
    fn rfc_8032_test_vectors() {
        let vectors: &[(&str, &str, &str, &str)] = &[
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            ),
            (
                "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
                "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
                "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
            ),
        ];
        for (sk, pk, msg, sig) in vectors {
            let k = SigningKey::from_seed(&seed(sk), Some("t"));
            assert_eq!(hex(k.key.verifying_key().as_bytes()), *pk);
            assert_eq!(hex(&k.key.sign(&unhex(msg).unwrap()).to_bytes()), *sig);
        }
    }

    fn test_key() -> SigningKey {
        SigningKey::from_seed(&[7u8; 32], Some("test-1"))
    }

    #[test]
    fn jwk_round_trip_and_default_kid() {
        let k = test_key();
        let d = B64.encode([7u8; 32]);
        let text = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","d":"{d}","x":"{}"}}"#,
            k.public().x
        );
        let parsed = SigningKey::from_jwk(&text).unwrap();
        assert_eq!(parsed.public().x, k.public().x);
        assert_eq!(parsed.kid(), thumbprint(&k.public().x));
        // RFC 8037 appendix A.3: the thumbprint of its example key.
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn jwk_errors_name_the_member() {
        let cases = [
            ("", "JSON Web Key"),
            ("[]", "JSON Web Key"),
            (r#"{"kty":"EC"}"#, "`kty`"),
            (r#"{"kty":"OKP","crv":"X25519"}"#, "`crv`"),
            (r#"{"kty":"OKP","crv":"Ed25519"}"#, "`d`"),
            (
                r#"{"kty":"OKP","crv":"Ed25519","d":"abc"}"#,
                "`d` must be 32 bytes",
            ),
            (
                r#"{"kty":"OKP","crv":"Ed25519","kid":"a b","d":"x"}"#,
                "`kid`",
            ),
        ];
        for (text, want) in cases {
            let e = SigningKey::from_jwk(text).unwrap_err();
            assert!(e.0.contains(want), "{text}: {e}");
        }
        let d = B64.encode([7u8; 32]);
        let wrong_x = B64.encode([1u8; 32]);
        let e = SigningKey::from_jwk(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","d":"{d}","x":"{wrong_x}"}}"#
        ))
        .unwrap_err();
        assert!(e.0.contains("`x` is not the public key"), "{e}");
    }

    #[test]
    fn jws_verifies_and_any_changed_byte_fails() {
        let k = test_key();
        let jws = k.sign_jws(br#"{"a":1}"#);
        let header = B64.decode(jws.split('.').next().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(header).unwrap(),
            r#"{"alg":"EdDSA","kid":"test-1","typ":"pausepoint-receipt+jws"}"#
        );
        assert_eq!(verify_jws(&jws, &[k.public()]).unwrap(), br#"{"a":1}"#);
        let other = k.sign_jws(br#"{"a":2}"#);
        let forged = format!(
            "{}.{}.{}",
            jws.split('.').next().unwrap(),
            other.split('.').nth(1).unwrap(),
            jws.split('.').nth(2).unwrap()
        );
        assert_eq!(verify_jws(&forged, &[k.public()]), Err("bad signature"));
        let stranger = SigningKey::from_seed(&[8u8; 32], Some("test-1"));
        assert_eq!(verify_jws(&jws, &[stranger.public()]), Err("bad signature"));
    }

    #[test]
    fn public_keys_var_keeps_good_entries_and_says_why_others_are_refused() {
        let good = test_key().public().to_jwk();
        let text = serde_json::to_string(&json!([
            good,
            {"kty": "OKP", "crv": "Ed25519", "x": test_key().public().x},
            {"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "AA", "d": "AA"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "AA"},
        ]))
        .unwrap();
        let (keys, errors) = parse_public_keys(&text);
        assert_eq!(keys, vec![test_key().public()]);
        let msgs: Vec<String> = errors.into_iter().map(|e| e.0).collect();
        assert_eq!(msgs.len(), 3);
        assert!(
            msgs[0].starts_with("RECEIPT_PUBLIC_KEYS[1]: `kid`"),
            "{msgs:?}"
        );
        assert!(msgs[1].contains("`d` is private"), "{msgs:?}");
        assert!(msgs[2].contains("`x` must be 32 bytes"), "{msgs:?}");
        assert_eq!(parse_public_keys("  "), (vec![], vec![]));
        assert_eq!(parse_public_keys("{}").1.len(), 1);
    }

    #[test]
    fn jwks_lists_current_first_and_each_kid_once() {
        let cur = test_key().public();
        let old = SigningKey::from_seed(&[9u8; 32], Some("old-1")).public();
        let doc = jwks(Some(&cur), &[old.clone(), cur.clone()]);
        let kids: Vec<&str> = doc["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, ["test-1", "old-1"]);
        assert_eq!(doc["keys"][0]["alg"], "EdDSA");
        assert!(doc["keys"][0].get("d").is_none());
        assert_eq!(jwks(None, &[]), json!({"keys": []}));
    }

    proptest! {
        #[test]
        fn key_parsers_are_total(text in any::<String>()) {
            let _ = SigningKey::from_jwk(&text);
            let _ = parse_public_keys(&text);
        }

        #[test]
        fn key_parsers_are_total_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = SigningKey::from_jwk(&text);
            let _ = parse_public_keys(&text);
        }

        #[test]
        fn jwk_shaped_input_never_panics(kid in any::<String>(), d in any::<String>(), x in any::<String>()) {
            let v = json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "d": d, "x": x});
            let _ = SigningKey::from_jwk(&v.to_string());
            let _ = parse_public_keys(&json!([v]).to_string());
        }
    }
}
