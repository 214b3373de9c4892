//! The approvers of a request: each one's fields and contacts, then the ids and
//! people of all levels together.

use serde_json::{Map, Value};

use super::NewApprover;
use super::{object_at, present};
use crate::core::error::ApiError;
use crate::core::pause::Channel;
use crate::core::policy::model::{Contact, MAX_APPROVERS, MAX_FALLBACKS, MAX_NAME_CHARS};
use crate::core::request::recipient::parse_recipient;

const APPROVER_FIELDS: &[&str] = &["id", "name", "channel", "recipient", "fallbacks"];
const CONTACT_FIELDS: &[&str] = &["channel", "recipient"];

pub(super) fn parse_approver_list(
    v: &Value,
    path: &str,
    level: u8,
) -> Result<Vec<NewApprover>, ApiError> {
    let Value::Array(items) = v else {
        return Err(ApiError::invalid(
            path,
            format!("`{path}` must be an array of approvers like {{\"name\": \"Dana\", \"channel\": \"sms\", \"recipient\": \"+13125550100\"}}."),
        ));
    };
    if items.is_empty() {
        return Err(ApiError::invalid(
            path,
            format!("`{path}` is empty: name at least one approver."),
        ));
    }
    if items.len() > MAX_APPROVERS {
        return Err(ApiError::invalid(
            path,
            format!(
                "`{path}` has {} approvers; at most {MAX_APPROVERS} are allowed.",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, a)| parse_approver(a, &format!("{path}[{i}]"), level))
        .collect()
}

fn parse_approver(v: &Value, path: &str, level: u8) -> Result<NewApprover, ApiError> {
    let m = object_at(v, path, APPROVER_FIELDS)?;
    let id = match present(m, "id") {
        None => String::new(), // numbered once every level is read
        Some(Value::String(s))
            if (1..=32).contains(&s.len())
                && s.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                }) =>
        {
            s.clone()
        }
        Some(_) => {
            return Err(ApiError::invalid(
                &format!("{path}.id"),
                format!("`{path}.id` must be 1 to 32 characters of a-z, 0-9, `_` or `-`."),
            ))
        }
    };
    let name = match present(m, "name") {
        None => None,
        Some(Value::String(s))
            if !s.trim().is_empty() && s.trim().chars().count() <= MAX_NAME_CHARS =>
        {
            Some(s.trim().to_string())
        }
        Some(_) => {
            return Err(ApiError::invalid(
                &format!("{path}.name"),
                format!(
                "`{path}.name` must be a non-empty string of at most {MAX_NAME_CHARS} characters."
            ),
            ))
        }
    };
    let mut contacts = vec![parse_contact(m, path)?];
    if let Some(f) = present(m, "fallbacks") {
        let fpath = format!("{path}.fallbacks");
        let Value::Array(items) = f else {
            return Err(ApiError::invalid(
                &fpath,
                format!("`{fpath}` must be an array of {{\"channel\", \"recipient\"}} objects."),
            ));
        };
        if items.len() > MAX_FALLBACKS {
            return Err(ApiError::invalid(
                &fpath,
                format!(
                    "`{fpath}` has {} contacts; at most {MAX_FALLBACKS} are allowed.",
                    items.len()
                ),
            ));
        }
        for (j, item) in items.iter().enumerate() {
            let cpath = format!("{fpath}[{j}]");
            let c = parse_contact(object_at(item, &cpath, CONTACT_FIELDS)?, &cpath)?;
            if contacts.contains(&c) {
                return Err(ApiError::invalid(
                    &cpath,
                    format!("`{cpath}` repeats a contact this approver already has: each fallback must be a different channel or recipient."),
                ));
            }
            contacts.push(c);
        }
    }
    Ok(NewApprover {
        id,
        name,
        contacts,
        level,
    })
}

/// `channel` (default sms) and `recipient` of the object at `path`, parsed like the
/// top-level pair.
fn parse_contact(m: &Map<String, Value>, path: &str) -> Result<Contact, ApiError> {
    let cparam = format!("{path}.channel");
    let channel = match present(m, "channel") {
        None => Channel::Sms,
        Some(v) => parse_channel(v, &cparam)?,
    };
    let rparam = format!("{path}.recipient");
    let raw = match present(m, "recipient") {
        None => return Err(ApiError::missing(&rparam)),
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(ApiError::invalid(
                &rparam,
                format!("`{rparam}` must be a string."),
            ))
        }
    };
    let recipient = parse_recipient(channel, raw).map_err(|m| ApiError::invalid(&rparam, m))?;
    Ok(Contact { channel, recipient })
}

/// A channel name, as the top-level `channel` takes it.
pub fn parse_channel(v: &Value, param: &str) -> Result<Channel, ApiError> {
    match v {
        Value::String(s) => Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid(
                    param,
                    format!("`{s}` is not a channel: use sms, email, slack or whatsapp."),
                )
            }),
        _ => Err(ApiError::invalid(
            param,
            format!("`{param}` must be a string: sms, email, slack or whatsapp."),
        )),
    }
}

/// Numbers the approvers without an id, then refuses a repeated id or a person
/// listed twice (one person, one vote: any shared recipient counts).
pub(super) fn check_people(approvers: &mut [NewApprover]) -> Result<(), ApiError> {
    for (i, a) in approvers.iter_mut().enumerate() {
        if a.id.is_empty() {
            a.id = format!("approver_{}", i + 1);
        }
    }
    for (i, a) in approvers.iter().enumerate() {
        let path = approver_path(approvers, i);
        if approvers[..i].iter().any(|b| b.id == a.id) {
            return Err(ApiError::invalid(
                &format!("{path}.id"),
                format!(
                    "The approver id `{}` is used twice: ids must be unique.",
                    a.id
                ),
            ));
        }
        // Case-blind: `Dana@Example.com` is the same mailbox as `dana@example.com`.
        for (j, c) in a.contacts.iter().enumerate() {
            if approvers[..i].iter().any(|b| {
                b.contacts
                    .iter()
                    .any(|d| d.recipient.eq_ignore_ascii_case(&c.recipient))
            }) {
                let at = match j {
                    0 => format!("{path}.recipient"),
                    j => format!("{path}.fallbacks[{}].recipient", j - 1),
                };
                return Err(ApiError::invalid(
                    &at,
                    format!(
                        "`{}` is already an approver's contact: one person, one vote.",
                        c.recipient
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The request path of the `i`-th approver over all levels.
pub fn approver_path(approvers: &[NewApprover], i: usize) -> String {
    let level = approvers[i].level;
    let k = approvers[..i].iter().filter(|a| a.level == level).count();
    match level {
        0 => format!("approvers[{k}]"),
        l => format!("escalation[{}].approvers[{k}]", l - 1),
    }
}
