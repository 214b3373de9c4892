//! Identifiers: random bytes come from the caller (the adapter owns the RNG), so the
//! formats are testable natively.

pub const PAUSE_ID_PREFIX: &str = "pause_";
pub const PAUSE_ID_BYTES: usize = 12;

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            let pair = s.get(i..i + 2)?;
            if !pair
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
            {
                return None;
            }
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

/// A pause id: `pause_` and 24 lowercase hex digits (96 random bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauseId(pub [u8; PAUSE_ID_BYTES]);

impl PauseId {
    pub fn parse(s: &str) -> Option<Self> {
        let bytes = unhex(s.strip_prefix(PAUSE_ID_PREFIX)?)?;
        Some(PauseId(bytes.try_into().ok()?))
    }
}

impl std::fmt::Display for PauseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PAUSE_ID_PREFIX}{}", hex(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_ids_round_trip_and_reject_junk() {
        let id = PauseId([0xab; 12]);
        let s = id.to_string();
        assert_eq!(s, "pause_abababababababababababab");
        assert_eq!(PauseId::parse(&s), Some(id));
        assert_eq!(PauseId::parse("pause_ABABABABABABABABABABABAB"), None);
        assert_eq!(PauseId::parse("pause_abab"), None);
        assert_eq!(PauseId::parse("abababababababababababab"), None);
        assert_eq!(PauseId::parse("pause_zzababababababababababab"), None);
    }
}
