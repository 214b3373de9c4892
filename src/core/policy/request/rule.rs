//! `rule`: a string or `{type, count, veto}`, checked against the options and the
//! number of approvers.

use serde_json::Value;

use super::{object_at, present};
use crate::core::error::ApiError;
use crate::core::policy::model::Rule;
use crate::core::request::fields::whole_number;

const RULE_FIELDS: &[&str] = &["type", "count", "veto"];

pub(super) fn parse_rule(
    v: &Value,
    options: &[String],
    approvers: usize,
) -> Result<Rule, ApiError> {
    let (kind, m, kparam) = match v {
        Value::String(s) => (s.as_str(), None, "rule"),
        Value::Object(_) => {
            let m = object_at(v, "rule", RULE_FIELDS)?;
            match present(m, "type") {
                Some(Value::String(s)) => (s.as_str(), Some(m), "rule.type"),
                None => return Err(ApiError::missing("rule.type")),
                Some(_) => return Err(ApiError::invalid("rule.type", "`rule.type` must be a string: any, all, quorum or ordered.")),
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "rule",
                "`rule` must be \"any\", \"all\", \"ordered\" or an object like {\"type\": \"quorum\", \"count\": 2}.",
            ))
        }
    };
    if !["any", "all", "quorum", "ordered"].contains(&kind) {
        return Err(ApiError::invalid(
            kparam,
            format!(
                "`{}` is not a rule: use any, all, quorum or ordered.",
                kind.chars().take(40).collect::<String>()
            ),
        ));
    }
    let count = m.and_then(|m| present(m, "count"));
    let veto = match m.and_then(|m| present(m, "veto")) {
        None => Vec::new(),
        Some(_) if kind == "any" => {
            return Err(ApiError::invalid(
                "rule.veto",
                "The `any` rule takes no `veto`: the first vote decides anyway.",
            ))
        }
        Some(v) => parse_veto(v, options)?,
    };
    if count.is_some() && kind != "quorum" {
        return Err(ApiError::invalid(
            "rule.count",
            format!("`rule.count` is for the `quorum` rule only, not `{kind}`."),
        ));
    }
    Ok(match kind {
        "any" => Rule::Any,
        "all" => Rule::All { veto },
        "ordered" => Rule::Ordered { veto },
        // "quorum": the only kind left after the check above.
        _ => {
            let Some(count) = count else {
                return Err(ApiError::missing("rule.count"));
            };
            let n = whole_number(count).ok_or_else(|| {
                ApiError::invalid(
                    "rule.count",
                    "`rule.count` must be a whole number of votes.",
                )
            })?;
            if n < 2 || n > approvers as i64 {
                return Err(ApiError::invalid(
                    "rule.count",
                    format!("`rule.count` must be between 2 and the number of approvers ({approvers}); got {n}. For one vote use the `any` rule."),
                ));
            }
            Rule::Quorum {
                count: n as u8,
                veto,
            }
        }
    })
}

fn parse_veto(v: &Value, options: &[String]) -> Result<Vec<String>, ApiError> {
    let Value::Array(items) = v else {
        return Err(ApiError::invalid(
            "rule.veto",
            "`rule.veto` must be an array of option labels, e.g. [\"Reject\"].",
        ));
    };
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let param = format!("rule.veto[{i}]");
        let Some(label) = item.as_str().map(str::trim) else {
            return Err(ApiError::invalid(
                &param,
                format!("`{param}` must be a string, one of the options."),
            ));
        };
        let Some(o) = options.iter().find(|o| o.as_str() == label) else {
            return Err(ApiError::invalid(
                &param,
                format!(
                    "`{param}` must be one of the options ({}); got `{}`.",
                    options.join(", "),
                    label.chars().take(40).collect::<String>()
                ),
            ));
        };
        if out.contains(o) {
            return Err(ApiError::invalid(
                &param,
                format!("`rule.veto` lists `{o}` twice."),
            ));
        }
        out.push(o.clone());
    }
    if out.len() == options.len() {
        return Err(ApiError::invalid(
            "rule.veto",
            "`rule.veto` lists every option: a veto must leave something to agree on.",
        ));
    }
    Ok(out)
}
