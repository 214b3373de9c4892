//! The text that carries the question: the question, then the link, in one
//! 160-character SMS segment when the question allows. The link is never cut.

/// Characters of the GSM 03.38 basic set (one septet each; the extension set counts
/// as two). A text outside it is sent as UCS-2, where a segment holds 70 characters.
fn gsm_len(s: &str) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    s.chars().try_fold(0, |n, c| {
        if BASIC.contains(c) {
            Some(n + 1)
        } else if EXTENDED.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

/// How many SMS segments the text needs.
pub fn sms_segments(text: &str) -> usize {
    match gsm_len(text) {
        Some(n) if n <= 160 => 1,
        Some(n) => n.div_ceil(153),
        None => {
            let units: usize = text.chars().map(char::len_utf16).sum();
            if units <= 70 {
                1
            } else {
                units.div_ceil(67)
            }
        }
    }
}

/// The richest form that fits one segment, else the plain question and link.
pub fn compose_text(requester: &str, message: &str, link: &str) -> String {
    let candidates = [
        format!("{requester}: {message}\nAnswer: {link}"),
        format!("{requester}: {message}\n{link}"),
        format!("{message}\n{link}"),
    ];
    for c in &candidates {
        if sms_segments(c) == 1 {
            return c.clone();
        }
    }
    candidates[2].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://pausepoint.dev/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn short_questions_keep_one_segment_with_the_requester() {
        let t = compose_text("Acme", "Wire $8,400 to Meridian?", LINK);
        assert_eq!(t, format!("Acme: Wire $8,400 to Meridian?\nAnswer: {LINK}"));
        assert_eq!(sms_segments(&t), 1);
    }

    #[test]
    fn long_questions_are_never_cut_and_neither_is_the_link() {
        let q = "Approve the quarterly vendor payment run of 214 invoices totalling $1.2M to 37 suppliers, as reviewed by finance on Friday?";
        let t = compose_text("Acme Payments Operations", q, LINK);
        assert!(t.contains(q));
        assert!(t.ends_with(LINK));
    }

    #[test]
    fn segment_counting() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"€".repeat(80)), 1);
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
        assert_eq!(sms_segments(&"✓".repeat(70)), 1);
        assert_eq!(sms_segments(&"✓".repeat(71)), 2);
    }
}
