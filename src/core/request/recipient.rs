//! Recipients per channel, normalised so the same person is always written the same
//! way: E.164 for sms/whatsapp, a lower-cased domain for email, an id or #name for Slack.

use crate::core::pause::Channel;
use crate::core::phone::PhoneNumber;

/// The recipient in its normal form, or a sentence saying what is wrong with it.
pub fn parse_recipient(channel: Channel, raw: &str) -> Result<String, String> {
    match channel {
        Channel::Sms => Ok(PhoneNumber::parse(raw)?.as_str().to_string()),
        Channel::Whatsapp => {
            let number = raw.trim().strip_prefix("whatsapp:").unwrap_or(raw);
            Ok(PhoneNumber::parse(number)?.as_str().to_string())
        }
        Channel::Email => parse_email(raw),
        Channel::Slack => parse_slack_target(raw),
    }
}

pub fn parse_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = || {
        format!(
            "`{}` is not an email address like name@example.com.",
            s.chars().take(60).collect::<String>()
        )
    };
    if s.len() > 254
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
    {
        return Err(bad());
    }
    let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty()
        || local.len() > 64
        || local.contains('@')
        || !domain.contains('.')
        || !labels_ok
    {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A Slack channel or user id (`C…`, `G…`, `U…`, `W…`), or `#channel-name`.
pub fn parse_slack_target(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let is_id = s.len() >= 9
        && s.len() <= 24
        && s.starts_with(['C', 'G', 'U', 'W', 'D'])
        && s.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let is_name = s.len() > 1
        && s.len() <= 81
        && s.starts_with('#')
        && s[1..]
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_');
    if is_id || is_name {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a Slack channel or user: use an id such as C0123456789 or a name such as #approvals."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_channel_normalises_its_recipient() {
        let ok = |c, s| parse_recipient(c, s).unwrap();
        assert_eq!(ok(Channel::Sms, "+1 (312) 847-1928"), "+13128471928");
        assert_eq!(
            ok(Channel::Whatsapp, "whatsapp:+44 7700 900123"),
            "+447700900123"
        );
        assert_eq!(ok(Channel::Email, " Ops@Example.COM "), "Ops@example.com");
        assert_eq!(ok(Channel::Slack, "C0123456789"), "C0123456789");
        assert_eq!(ok(Channel::Slack, "#approvals"), "#approvals");
        for (c, bad) in [
            (Channel::Sms, "312 847 1928"),
            (Channel::Email, "not-an-email"),
            (Channel::Email, "a@b"),
            (Channel::Email, "a@-b.com"),
            (Channel::Email, "<a@b.com>"),
            (Channel::Slack, "#Approvals"),
            (Channel::Slack, "c0123456789"),
            (Channel::Slack, "#"),
        ] {
            assert!(parse_recipient(c, bad).is_err(), "{c:?} {bad}");
        }
    }

    proptest! {
        #[test]
        fn recipients_are_total_and_accepted_ones_are_stable(s in any::<String>()) {
            for c in Channel::ALL {
                if let Ok(r) = parse_recipient(c, &s) {
                    // The normal form parses to itself.
                    prop_assert_eq!(parse_recipient(c, &r), Ok(r.clone()));
                }
            }
        }
    }
}
