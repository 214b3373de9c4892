//! `action`: what is being approved.

use serde_json::{Map, Value};

use super::{object_at, present};
use crate::core::error::ApiError;
use crate::core::policy::model::{Action, MAX_ACTION_BYTES, MAX_ACTION_NAME_CHARS};

const ACTION_FIELDS: &[&str] = &["name", "arguments"];

/// `action`: `{name, arguments}` (arguments default to `{}`), at most 8 KB of JSON.
pub fn parse_action(obj: &Map<String, Value>) -> Result<Option<Action>, ApiError> {
    let Some(v) = present(obj, "action") else {
        return Ok(None);
    };
    let m = object_at(v, "action", ACTION_FIELDS)?;
    let name = match present(m, "name") {
        None => return Err(ApiError::missing("action.name")),
        Some(Value::String(s)) if !s.trim().is_empty() && s.trim().chars().count() <= MAX_ACTION_NAME_CHARS => s.trim().to_string(),
        Some(_) => {
            return Err(ApiError::invalid(
                "action.name",
                format!("`action.name` must be a non-empty string of at most {MAX_ACTION_NAME_CHARS} characters, e.g. \"wire_transfer\"."),
            ))
        }
    };
    let arguments = m
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let action = Action { name, arguments };
    let size = serde_json::to_vec(&action).map_or(usize::MAX, |b| b.len());
    if size > MAX_ACTION_BYTES {
        return Err(ApiError::invalid(
            "action.arguments",
            format!("`action` is {size} bytes as JSON; at most {MAX_ACTION_BYTES} are allowed: keep references, not documents."),
        ));
    }
    Ok(Some(action))
}
