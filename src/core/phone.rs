//! E.164 phone numbers, as people type them: "+1 (312) 847-1928" becomes "+13128471928".

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let rest = if let Some(r) = s.strip_prefix('+') {
            r
        } else if let Some(r) = s.strip_prefix("00") {
            r
        } else {
            return Err(format!(
                "`{}` has no country code: write it in international form, e.g. +1 312 847 1928.",
                clip(s)
            ));
        };
        let mut digits = String::with_capacity(15);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                _ => {
                    return Err(format!(
                        "`{}` contains `{c}`, which is not part of a phone number.",
                        clip(s)
                    ))
                }
            }
        }
        if digits.starts_with('0') {
            return Err(
                "A country code never starts with 0: write the number as +<country code><number>."
                    .into(),
            );
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(format!(
                "`{}` has {} digits; an international number has 8 to 15 after the +.",
                clip(s),
                digits.len()
            ));
        }
        Ok(PhoneNumber(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_what_people_type() {
        for (input, want) in [
            ("+1 (312) 847-1928", "+13128471928"),
            ("+13128471928", "+13128471928"),
            ("  +44 20 7946 0958 ", "+442079460958"),
            ("0049 30 901820", "+4930901820"),
            ("+33.1.23.45.67.89", "+33123456789"),
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), want, "{input}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for bad in [
            "312 847 1928",
            "+1 312 CALL NOW",
            "+0 312 847 1928",
            "+1234",
            "+1234567890123456",
            "",
            "+",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
