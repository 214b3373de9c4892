//! Response-link tokens: `base64url(pause id (12 bytes) | expiry (u32 seconds, BE) | MAC (10 bytes))`.
//! 26 bytes become 35 characters, so the link fits in a single SMS segment beside a
//! short question. The MAC is HMAC-SHA256 truncated to 80 bits: enough against online
//! forgery, where every guess is a request. Single use is enforced by the pause's
//! Durable Object, not here.
//!
//! v2 (an approver of a multi-approver pause): one more byte, the approver's index,
//! after the expiry: 27 bytes, 36 characters, MAC'd in its own domain so a v1 token
//! can never be re-read as a v2 one or the reverse. v1 tokens keep verifying (as
//! the one recipient: `approver: None`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ids::{PauseId, PAUSE_ID_BYTES};

const MAC_BYTES: usize = 10;
const TOKEN_BYTES: usize = PAUSE_ID_BYTES + 4 + MAC_BYTES;
const TOKEN_V2_BYTES: usize = TOKEN_BYTES + 1;
/// Length of an encoded v1 token; anything else (but v2) is rejected before decoding.
pub const TOKEN_LEN: usize = (TOKEN_BYTES * 4).div_ceil(3);
/// Length of an encoded v2 (approver) token.
pub const TOKEN_V2_LEN: usize = (TOKEN_V2_BYTES * 4).div_ceil(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub pause_id: PauseId,
    /// Seconds since the epoch after which the link is expired.
    pub expires_at: u32,
    /// The approver's index (v2 tokens); `None` for the one recipient (v1).
    pub approver: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
}

fn mac(secret: &[u8], domain: &[u8], payload: &[u8]) -> [u8; MAC_BYTES] {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(domain);
    m.update(payload);
    let full = m.finalize().into_bytes();
    let mut out = [0u8; MAC_BYTES];
    out.copy_from_slice(&full[..MAC_BYTES]);
    out
}

const DOMAIN_V1: &[u8] = b"pausepoint-link-v1:";
const DOMAIN_V2: &[u8] = b"pausepoint-link-v2:";

pub fn sign(secret: &[u8], claims: Claims) -> String {
    let mut buf = Vec::with_capacity(TOKEN_V2_BYTES);
    buf.extend_from_slice(&claims.pause_id.0);
    buf.extend_from_slice(&claims.expires_at.to_be_bytes());
    let domain = match claims.approver {
        None => DOMAIN_V1,
        Some(a) => {
            buf.push(a);
            DOMAIN_V2
        }
    };
    let tag = mac(secret, domain, &buf);
    buf.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn verify(secret: &[u8], token: &str) -> Result<Claims, TokenError> {
    let (bytes, domain) = match token.len() {
        TOKEN_LEN => (TOKEN_BYTES, DOMAIN_V1),
        TOKEN_V2_LEN => (TOKEN_V2_BYTES, DOMAIN_V2),
        _ => return Err(TokenError::Malformed),
    };
    let raw = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| TokenError::Malformed)?;
    if raw.len() != bytes {
        return Err(TokenError::Malformed);
    }
    let (payload, tag) = raw.split_at(bytes - MAC_BYTES);
    let expected = mac(secret, domain, payload);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], tag)) {
        return Err(TokenError::BadSignature);
    }
    let mut id = [0u8; PAUSE_ID_BYTES];
    id.copy_from_slice(&payload[..PAUSE_ID_BYTES]);
    let mut exp = [0u8; 4];
    exp.copy_from_slice(&payload[PAUSE_ID_BYTES..PAUSE_ID_BYTES + 4]);
    Ok(Claims {
        pause_id: PauseId(id),
        expires_at: u32::from_be_bytes(exp),
        approver: payload.get(PAUSE_ID_BYTES + 4).copied(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-of-reasonable-length";

    fn claims() -> Claims {
        Claims {
            pause_id: PauseId([7; 12]),
            expires_at: 1_800_000_000,
            approver: None,
        }
    }

    #[test]
    fn v2_carries_the_approver_and_never_passes_as_v1() {
        let c = Claims {
            approver: Some(3),
            ..claims()
        };
        let t = sign(SECRET, c);
        assert_eq!(t.len(), TOKEN_V2_LEN);
        assert_eq!(t.len(), 36);
        assert_eq!(verify(SECRET, &t), Ok(c));
        for i in 0..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            assert!(verify(SECRET, &String::from_utf8(b).unwrap()).is_err());
        }
        // Another approver's index under the same MAC: refused.
        let mut raw = URL_SAFE_NO_PAD.decode(&t).unwrap();
        raw[16] = 4;
        assert_eq!(
            verify(SECRET, &URL_SAFE_NO_PAD.encode(&raw)),
            Err(TokenError::BadSignature)
        );
        // A v1 token's bytes with a byte added, or a v2 one cut down: refused.
        let v1 = URL_SAFE_NO_PAD.decode(sign(SECRET, claims())).unwrap();
        let mut grown = v1.clone();
        grown.insert(16, 0);
        assert_eq!(
            verify(SECRET, &URL_SAFE_NO_PAD.encode(&grown)),
            Err(TokenError::BadSignature)
        );
        let mut cut = raw.clone();
        cut.remove(16);
        assert_eq!(
            verify(SECRET, &URL_SAFE_NO_PAD.encode(&cut)),
            Err(TokenError::BadSignature)
        );
        // v1 still verifies, as the one recipient.
        assert_eq!(
            verify(SECRET, &sign(SECRET, claims())).unwrap().approver,
            None
        );
    }

    #[test]
    fn round_trips_and_is_short() {
        let t = sign(SECRET, claims());
        assert_eq!(t.len(), TOKEN_LEN);
        assert_eq!(t.len(), 35);
        assert!(t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(verify(SECRET, &t), Ok(claims()));
    }

    #[test]
    fn every_altered_character_is_refused() {
        let t = sign(SECRET, claims());
        for i in 0..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(b).unwrap();
            assert!(verify(SECRET, &altered).is_err(), "altered at {i} accepted");
        }
    }

    #[test]
    fn other_secret_or_shape_is_refused() {
        let t = sign(SECRET, claims());
        assert_eq!(verify(b"another-secret", &t), Err(TokenError::BadSignature));
        assert_eq!(verify(SECRET, &t[1..]), Err(TokenError::Malformed));
        assert_eq!(verify(SECRET, ""), Err(TokenError::Malformed));
        assert_eq!(
            verify(SECRET, &"*".repeat(TOKEN_LEN)),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn expiry_is_covered_by_the_mac() {
        let a = sign(SECRET, claims());
        let later = Claims {
            expires_at: claims().expires_at + 3600,
            ..claims()
        };
        let b = sign(SECRET, later);
        // Splice b's expiry into a's id and MAC: must fail.
        let ra = URL_SAFE_NO_PAD.decode(&a).unwrap();
        let rb = URL_SAFE_NO_PAD.decode(&b).unwrap();
        let mut spliced = ra.clone();
        spliced[12..16].copy_from_slice(&rb[12..16]);
        assert_eq!(
            verify(SECRET, &URL_SAFE_NO_PAD.encode(spliced)),
            Err(TokenError::BadSignature)
        );
    }
}
