//! The pure part of the MCP endpoint: JSON-RPC 2.0 envelopes, protocol-version
//! negotiation and the tool catalogue. No `worker` types: unit-tested natively.

use serde_json::{json, Map, Value};

/// Revisions we speak, newest first. Streamable HTTP + JSON responses is the same
/// wire in all three, so older clients get exactly what they asked for.
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
pub const LATEST_VERSION: &str = "2025-11-25";
pub const SERVER_NAME: &str = "pausepoint";

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
/// `UnsupportedProtocolVersionError` of the stateless 2026-07-28 revision: a client of
/// that revision reads `data.supported` and falls back to `initialize` with one of them.
pub const UNSUPPORTED_VERSION: i64 = -32022;
/// Where 2026-07-28 clients put the revision of each request.
pub const META_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";

/// Lifecycle rule: answer with the client's revision when we support it, otherwise
/// with our latest, and let the client decide whether it can continue.
pub fn negotiate(requested: Option<&str>) -> &'static str {
    requested
        .and_then(|r| SUPPORTED_VERSIONS.iter().find(|v| **v == r).copied())
        .unwrap_or(LATEST_VERSION)
}

/// The revision a request after initialization declares, in the `MCP-Protocol-Version`
/// header or (2026-07-28 clients) in `params._meta`. Absent means a client that
/// predates the header (the spec says assume 2025-03-26).
pub fn check_version(header: Option<&str>, params: &Map<String, Value>) -> Result<(), RpcError> {
    let meta = params
        .get("_meta")
        .and_then(|m| m.get(META_VERSION_KEY))
        .and_then(Value::as_str);
    check_version_header(header)?;
    check_version_header(meta)
}

fn check_version_header(header: Option<&str>) -> Result<(), RpcError> {
    match header.map(str::trim) {
        None => Ok(()),
        Some(v) if SUPPORTED_VERSIONS.contains(&v) => Ok(()),
        Some(v) => Err(RpcError::new(
            UNSUPPORTED_VERSION,
            format!(
                "Unsupported MCP-Protocol-Version `{v}`; this server supports {}. Initialize to negotiate one.",
                SUPPORTED_VERSIONS.join(", ")
            ),
        )
        .with_data(json!({ "supported": SUPPORTED_VERSIONS, "requested": v }))),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// One incoming JSON-RPC message, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Request {
        id: Value,
        method: String,
        params: Map<String, Value>,
    },
    Notification {
        method: String,
    },
    /// A response from the client (to a request we never send): acknowledged only.
    Response,
}

/// Parses one JSON-RPC message. On failure returns the error and the id to answer
/// with (null when the id could not be read).
pub fn parse_message(body: &[u8]) -> Result<Incoming, (Value, RpcError)> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        (
            Value::Null,
            RpcError::new(PARSE_ERROR, format!("The body is not valid JSON: {e}.")),
        )
    })?;
    let invalid = |id: Value, m: &str| (id, RpcError::new(INVALID_REQUEST, m.to_string()));
    let Value::Object(obj) = v else {
        // Batches were removed from MCP in 2025-06-18.
        return Err(invalid(
            Value::Null,
            "Send one JSON-RPC 2.0 object per request; batches are not supported.",
        ));
    };
    let id = match obj.get("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
        Some(_) => return Err(invalid(Value::Null, "`id` must be a string or a number.")),
    };
    let echo = id.clone().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(echo, "`jsonrpc` must be \"2.0\"."));
    }
    if obj.contains_key("result") || obj.contains_key("error") {
        return match id {
            Some(_) if !obj.contains_key("method") => Ok(Incoming::Response),
            _ => Err(invalid(echo, "A response needs an `id` and no `method`.")),
        };
    }
    let method = match obj.get("method") {
        Some(Value::String(m)) => m.clone(),
        _ => return Err(invalid(echo, "`method` must be a string.")),
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => {
            return Err((
                echo,
                RpcError::new(INVALID_PARAMS, "`params` must be an object."),
            ))
        }
    };
    Ok(match id {
        Some(id) => Incoming::Request { id, method, params },
        None => Incoming::Notification { method },
    })
}

pub fn success(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

pub fn failure(id: &Value, err: &RpcError) -> Value {
    let mut e = json!({ "code": err.code, "message": err.message });
    if let Some(d) = &err.data {
        e["data"] = d.clone();
    }
    json!({ "jsonrpc": "2.0", "id": id, "error": e })
}

/// The `initialize` result. Only tools; no OAuth, no sessions (each request stands alone).
pub fn initialize_result(params: &Map<String, Value>, server_version: &str) -> Value {
    let requested = params.get("protocolVersion").and_then(Value::as_str);
    json!({
        "protocolVersion": negotiate(requested),
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": {
            "name": SERVER_NAME,
            "title": "PausePoint",
            "version": server_version,
        },
        "instructions": "Use these tools to ask a person a question and wait for their answer: \
    create_pause_request sends the question (by SMS by default) and returns a pause_id; \
    poll_pause_request with wait_seconds (up to 55) returns as soon as the person answers. \
    Call poll again while the status is `pending`.",
    })
}

/// A tool result: the JSON as text (for clients that read only text) and as
/// `structuredContent`.
pub fn tool_result(value: &Value, is_error: bool) -> Value {
    json!({
        "content": [{ "type": "text", "text": value.to_string() }],
        "structuredContent": value,
        "isError": is_error,
    })
}

/// The tools a client may call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tool {
    Create,
    Poll,
    Cancel,
    List,
    Audit,
}

impl Tool {
    pub fn parse(name: &str) -> Option<Tool> {
        Some(match name {
            "create_pause_request" => Tool::Create,
            "poll_pause_request" => Tool::Poll,
            "cancel_pause_request" => Tool::Cancel,
            "list_pause_requests" => Tool::List,
            "get_audit_log" => Tool::Audit,
            _ => return None,
        })
    }
}

fn pause_id_schema() -> Value {
    json!({ "type": "string", "pattern": "^pause_[0-9a-f]{24}$",
            "description": "The pause_id returned by create_pause_request." })
}

/// `tools/list`: names, descriptions a model can act on, and input JSON Schemas.
pub fn tool_definitions() -> Value {
    let read_only = json!({ "readOnlyHint": true, "openWorldHint": false });
    // One approver of `approvers` (and of an escalation level).
    let approver_schema = || {
        json!({ "type": "object", "properties": {
            "id": { "type": "string", "pattern": "^[a-z0-9_-]{1,32}$" },
            "name": { "type": "string", "maxLength": 80 },
            "channel": { "type": "string", "enum": ["sms", "email", "slack", "whatsapp"], "default": "sms" },
            "recipient": { "type": "string" },
            "fallbacks": { "type": "array", "maxItems": 3, "items": { "type": "object", "properties": {
                "channel": { "type": "string", "enum": ["sms", "email", "slack", "whatsapp"] }, "recipient": { "type": "string" } },
                "required": ["recipient"], "additionalProperties": false } } },
          "required": ["recipient"], "additionalProperties": false })
    };
    json!([
        {
            "name": "create_pause_request",
            "title": "Ask a person a question",
            "description": "Pause and ask a person to choose between options (for example approve or reject a payment). \
    The person receives a text message (or email/Slack/WhatsApp) with a link and taps an answer (send `recipient`, or \
    `approvers` and a `rule` to ask several people). Returns at once with a pause_id \
    and status `pending`; then call poll_pause_request with wait_seconds to get the answer. If nobody answers before the timeout, \
    timeout_default is chosen (or the status becomes `timed_out` without one).",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "recipient": { "type": "string", "description": "Who answers: a phone number for sms/whatsapp (E.164 or as typed, e.g. \"+1 (312) 847-1928\"), an email address for email, a Slack channel or user id for slack." },
                    "channel": { "type": "string", "enum": ["sms", "email", "slack", "whatsapp"], "default": "sms" },
                    "message": { "type": "string", "maxLength": 1000, "description": "The question, short and self-contained, e.g. \"Wire $8,400 to Meridian?\"." },
                    "options": { "type": "array", "items": { "type": "string", "maxLength": 40 }, "minItems": 2, "maxItems": 10, "uniqueItems": true, "description": "The answers the person can tap, e.g. [\"Approve\", \"Reject\"]." },
                    "timeout_hours": { "type": "number", "exclusiveMinimum": 0, "description": "How long to wait for an answer (default 24). Use this or timeout_seconds." },
                    "timeout_seconds": { "type": "integer", "minimum": 1, "description": "The timeout in seconds, instead of timeout_hours." },
                    "timeout_default": { "type": "string", "description": "The option chosen automatically when the timeout passes; must be one of options." },
                    "webhook_url": { "type": "string", "format": "uri", "description": "Optional https URL that receives a signed event when the pause ends." },
                    "metadata": { "type": "object", "description": "Optional JSON object (4 KB max) echoed back on the pause." },
                    "approvers": { "type": "array", "minItems": 1, "maxItems": 10, "items": approver_schema(),
                        "description": "Instead of recipient/channel: several people, each with their own link. The rule says how their votes decide." },
                    "rule": { "description": "How approvers' votes decide (default any): \"any\" (first vote), \"all\" (everyone the same), \"ordered\" (one after another), or {\"type\": \"quorum\", \"count\": 2, \"veto\": [\"Reject\"]}. veto options decide at one vote (not with any).",
                        "oneOf": [
                            { "type": "string", "enum": ["any", "all", "ordered"] },
                            { "type": "object", "properties": {
                                "type": { "type": "string", "enum": ["any", "all", "quorum", "ordered"] },
                                "count": { "type": "integer", "minimum": 2, "maximum": 10, "description": "quorum only: votes for one option that decide it." },
                                "veto": { "type": "array", "items": { "type": "string" }, "description": "Options that decide at one vote." } },
                              "required": ["type"], "additionalProperties": false } ] },
                    "escalation": { "type": "array", "maxItems": 3, "description": "Levels of approvers added after a delay of silence (not with ordered).",
                        "items": { "type": "object", "properties": {
                            "after_seconds": { "type": "integer", "minimum": 1 }, "after_hours": { "type": "number", "exclusiveMinimum": 0 },
                            "approvers": { "type": "array", "minItems": 1, "items": approver_schema() } },
                          "required": ["approvers"], "additionalProperties": false } },
                    "reminders": { "type": "object", "description": "Re-send to approvers who have not answered: {\"before_timeout_seconds\": [3600]} or {\"every_seconds\": 900, \"max\": 3}.",
                        "properties": {
                            "before_timeout_seconds": { "type": "array", "maxItems": 3, "items": { "type": "integer", "minimum": 1 } },
                            "before_timeout_hours": { "type": "array", "maxItems": 3, "items": { "type": "number", "exclusiveMinimum": 0 } },
                            "every_seconds": { "type": "integer", "minimum": 1 }, "every_hours": { "type": "number", "exclusiveMinimum": 0 },
                            "max": { "type": "integer", "minimum": 1, "maximum": 3 } },
                        "additionalProperties": false },
                    "action": { "type": "object", "description": "The action being approved, shown on the page and bound to the decision (8 KB max).",
                        "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 100 }, "arguments": { "description": "Any JSON." } },
                        "required": ["name"], "additionalProperties": false }
                },
                "required": ["message", "options"],
                "additionalProperties": false
            },
            "annotations": { "readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": true }
        },
        {
            "name": "poll_pause_request",
            "title": "Get the answer to a question",
            "description": "Returns the pause: status is `pending`, `responded` (response_choice holds the answer; responded_by is \
    `recipient` or `timeout_default`), `timed_out` or `cancelled`. With wait_seconds (up to 55) the call holds until the person \
    answers or the wait passes, so call it again while the status is still `pending`.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "pause_id": pause_id_schema(),
                    "wait_seconds": { "type": "number", "minimum": 0, "maximum": 55, "default": 0, "description": "Seconds to wait for an answer before returning (0 returns at once)." }
                },
                "required": ["pause_id"],
                "additionalProperties": false
            },
            "annotations": read_only
        },
        {
            "name": "cancel_pause_request",
            "title": "Withdraw a question",
            "description": "Cancels a pending pause: its link stops working and its status becomes `cancelled`. \
    Fails if the pause already ended (answered, timed out or cancelled).",
            "inputSchema": {
                "type": "object",
                "properties": { "pause_id": pause_id_schema() },
                "required": ["pause_id"],
                "additionalProperties": false
            },
            "annotations": { "readOnlyHint": false, "destructiveHint": true, "idempotentHint": false, "openWorldHint": false }
        },
        {
            "name": "list_pause_requests",
            "title": "List questions",
            "description": "Lists this account's pauses, newest first. Filter by status; page with cursor = the previous result's next_cursor while has_more is true.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "status": { "type": "string", "enum": ["pending", "responded", "timed_out", "cancelled"] },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 },
                    "cursor": { "type": "string", "description": "next_cursor from the previous page." }
                },
                "additionalProperties": false
            },
            "annotations": read_only
        },
        {
            "name": "get_audit_log",
            "title": "Read the audit log",
            "description": "Returns audit events (created, message sent/failed, page opened, responded, timed out, cancelled, webhook attempts) oldest first, each with its hash-chain fields; optionally for one pause_id. Page with next_cursor.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "pause_id": pause_id_schema(),
                    "limit": { "type": "integer", "minimum": 1, "maximum": 100, "default": 50 },
                    "cursor": { "type": "string", "description": "next_cursor from the previous page." }
                },
                "additionalProperties": false
            },
            "annotations": read_only
        }
    ])
}

/// An argument given as a JSON string or number, in the text form the REST query
/// parsers take (so MCP and REST share one validation).
pub fn arg_text(args: &Map<String, Value>, name: &str) -> Option<String> {
    match args.get(name)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_keeps_supported_and_falls_back_to_latest() {
        assert_eq!(negotiate(Some("2025-11-25")), "2025-11-25");
        assert_eq!(negotiate(Some("2025-06-18")), "2025-06-18");
        assert_eq!(negotiate(Some("2026-07-28")), LATEST_VERSION);
        assert_eq!(negotiate(Some("1999-01-01")), LATEST_VERSION);
        assert_eq!(negotiate(None), LATEST_VERSION);
    }

    #[test]
    fn version_header() {
        assert!(check_version_header(None).is_ok());
        assert!(check_version_header(Some("2025-11-25")).is_ok());
        let e = check_version_header(Some("2026-07-28")).unwrap_err();
        assert_eq!(e.code, UNSUPPORTED_VERSION);
        assert_eq!(e.data.unwrap()["supported"][0], "2025-11-25");
        let none = Map::new();
        assert!(check_version(Some("2025-06-18"), &none).is_ok());
        let meta: Map<String, Value> = serde_json::from_str(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#,
        )
        .unwrap();
        assert_eq!(
            check_version(None, &meta).unwrap_err().code,
            UNSUPPORTED_VERSION
        );
    }

    #[test]
    fn parses_requests_notifications_and_responses() {
        let r = parse_message(br#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#).unwrap();
        assert_eq!(
            r,
            Incoming::Request {
                id: json!(7),
                method: "tools/list".into(),
                params: Map::new()
            }
        );
        let n =
            parse_message(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(
            n,
            Incoming::Notification {
                method: "notifications/initialized".into()
            }
        );
        let resp = parse_message(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap();
        assert_eq!(resp, Incoming::Response);
    }

    #[test]
    fn envelope_errors_carry_the_right_codes() {
        assert_eq!(parse_message(b"{nope").unwrap_err().1.code, PARSE_ERROR);
        assert_eq!(parse_message(b"[]").unwrap_err().1.code, INVALID_REQUEST);
        let (id, e) = parse_message(br#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#).unwrap_err();
        assert_eq!((id, e.code), (json!(3), INVALID_REQUEST));
        assert_eq!(
            parse_message(br#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#)
                .unwrap_err()
                .1
                .code,
            INVALID_REQUEST
        );
        assert_eq!(
            parse_message(br#"{"jsonrpc":"2.0","id":1,"method":5}"#)
                .unwrap_err()
                .1
                .code,
            INVALID_REQUEST
        );
        assert_eq!(
            parse_message(br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#)
                .unwrap_err()
                .1
                .code,
            INVALID_PARAMS
        );
    }

    #[test]
    fn initialize_negotiates_down_and_offers_only_tools() {
        let mut p = Map::new();
        p.insert("protocolVersion".into(), json!("2026-07-28"));
        let r = initialize_result(&p, "0.1.0");
        assert_eq!(r["protocolVersion"], "2025-11-25");
        assert!(r["capabilities"]["tools"].is_object());
        assert!(r["capabilities"].get("resources").is_none());
    }

    #[test]
    fn every_tool_is_listed_with_an_object_schema() {
        let tools = tool_definitions();
        let names: Vec<&str> = tools
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 5);
        for n in names {
            assert!(Tool::parse(n).is_some(), "{n}");
        }
        for t in tools.as_array().unwrap() {
            assert_eq!(t["inputSchema"]["type"], "object");
            assert!(t["description"].as_str().unwrap().len() > 40);
        }
        assert!(Tool::parse("delete_everything").is_none());
    }

    #[test]
    fn tool_results_have_text_and_structured_content() {
        let r = tool_result(&json!({ "status": "pending" }), false);
        assert_eq!(r["structuredContent"]["status"], "pending");
        assert_eq!(r["content"][0]["type"], "text");
        assert_eq!(r["isError"], false);
    }

    #[test]
    fn arg_text_accepts_numbers_and_strings() {
        let m: Map<String, Value> = serde_json::from_str(r#"{"a":2.5,"b":"x","c":null}"#).unwrap();
        assert_eq!(arg_text(&m, "a").as_deref(), Some("2.5"));
        assert_eq!(arg_text(&m, "b").as_deref(), Some("x"));
        assert_eq!(arg_text(&m, "c"), None);
    }
}
