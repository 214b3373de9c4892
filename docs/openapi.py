#!/usr/bin/env python3
"""Writes static/openapi.json, the OpenAPI 3.1 document of the public API.

The document is the contract: tests/e2e/contract.test.mjs checks real responses
against it and the contract fuzz test (schemathesis) drives the service from it.
Edit this file, run `python3 docs/openapi.py`, commit both; `--check` (run by the
contract test) fails when static/openapi.json differs from what this file generates."""
import json, pathlib, sys

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def json_body(schema, desc=None):
    r = {"content": {"application/json": {"schema": schema}}}
    if desc: r["description"] = desc
    return r
def err(desc): return {"description": desc, **json_body(ref("Error"))}
ts = {"type": "string", "format": "date-time"}
nts = {"type": ["string", "null"], "format": "date-time"}
nstr = {"type": ["string", "null"]}

COMMON = {"401": err("Missing or invalid API key."), "429": err("Rate limited (per API key, per account, or webhook secret rotations); see Retry-After."), "500": err("Internal error.")}
def html(desc): return {"description": desc, "content": {"text/html": {"schema": {"type": "string"}}}}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{35,36}$"}, "description": "The link's token (35 characters; 36 for an approver's own link)."}
# A path that does not reach the page (e.g. an encoded slash in the token) is the API's JSON 404.
PAGE_404 = {"description": "Not a valid link.", "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": ref("Error")}}}
PAGE_429 = {**html("Too many page requests from this client address (per CF-Connecting-IP); see Retry-After."),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}}

# What the server enforces, stated so that a request valid against this document is
# one the server accepts (cross-field rules JSON Schema cannot state, such as
# `timeout_default` being one of `options`, are in the descriptions).
PAUSE_ID_RE = "^pause_[0-9a-f]{24}$"
KEY_ID_RE = "^key_[0-9a-f]{16}$"
WEBHOOK_EVENT_ID_RE = "^msg_[0-9a-f]{24}$"
AUDIT_EVENT_ID_RE = "^evt_[0-9a-f]{24}$"
# At least one character that is not white space (the server trims with Unicode's
# White_Space, exactly these): a blank message or label is refused.
NOT_BLANK = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
AUDIT_EVENT_TYPES = ["pause.created", "message.sent", "message.failed", "message.delivered", "page.opened",
                     "pause.responded", "pause.timed_out", "pause.cancelled", "webhook.attempted",
                     # Console actions on the account (their chain's pause_id is the account id).
                     "account.created", "member.signed_in", "member.signed_out", "member.invited",
                     "member.joined", "member.removed",
                     # Console actions on keys, secrets and webhooks (the account's chain too).
                     "key.created", "key.rotated", "key.revoked", "webhook_secret.rotated",
                     "webhook.replayed",
                     # Approval policies (README "Approval policies").
                     "vote.recorded", "pause.escalated", "reminder.sent", "delivery.fallback",
                     "policy.no_agreement"]
MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS = 60, 30 * 24 * 3600
# Recipients by channel, as the server reads them (a subset where it is more lenient:
# it also trims white space and takes non-ASCII email domains).
SEP = "[ ().\\u00a0-]*"
PHONE = f"(\\+|00){SEP}[1-9](?:{SEP}[0-9]){{7,14}}{SEP}"
LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
RECIPIENTS = {
    "sms": f"^{PHONE}$",
    "whatsapp": f"^(whatsapp:)?{PHONE}$",
    "email": f"^[!-;=?A-~]{{1,64}}@{LABEL}(?:\\.{LABEL})+$",
    "slack": "^([CGUWD][A-Z0-9]{8,23}|#[a-z0-9_-]{1,80})$",
}
def when_channel(channels, then):
    """`then` applies when `channel` is one of `channels` (sms also when it is absent or null)."""
    cond = {"required": ["channel"], "properties": {"channel": {"enum": channels}}}
    if "sms" in channels:
        cond = {"not": {"required": ["channel"], "properties": {"channel": {"enum": ["email", "slack", "whatsapp"]}}}}
    return {"if": cond, "then": then}
PAUSE_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": PAUSE_ID_RE}}
KEY_ID = {"name": "key_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": KEY_ID_RE}}

schemas = {
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {"type": "object", "additionalProperties": False,
            "required": ["type", "code", "message", "param", "request_id"],
            "properties": {
                "type": {"type": "string", "enum": ["invalid_request_error", "authentication_error", "permission_error", "rate_limit_error", "api_error"]},
                "code": {"type": "string", "description": "Stable machine-readable code."},
                "message": {"type": "string", "description": "A sentence a person can act on."},
                "param": {**nstr, "description": "The parameter at fault, if one is."},
                "request_id": {"type": "string", "pattern": "^req_"}}}}},
    "CreatePause": {
        "type": "object", "additionalProperties": False, "required": ["message", "options"],
        # One recipient, or approvers.
        "anyOf": [{"required": ["recipient"]}, {"required": ["approvers"]}],
        "properties": {
            "recipient": {"type": "string", "description": "E.164 for sms/whatsapp (any common formatting, e.g. +1 (312) 847-1928), an email address for email, a Slack channel/user id or #name for slack.", "examples": ["+1 (312) 847-1928"]},
            "channel": {"type": ["string", "null"], "enum": ["sms", "email", "slack", "whatsapp", None], "default": "sms"},
            "message": {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": NOT_BLANK, "description": "The question; at most 1000 characters after trimming."},
            "options": {"type": "array", "minItems": 2, "maxItems": 10, "uniqueItems": True,
                "items": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": NOT_BLANK},
                "description": "2 to 10 labels, distinct ignoring case and surrounding white space."},
            "timeout_hours": {"type": ["number", "null"], "minimum": MIN_TIMEOUT_SECONDS / 3600, "maximum": MAX_TIMEOUT_SECONDS / 3600,
                "description": "Between the minimum timeout (60 s) and 720 hours; the plan may allow less. Not with timeout_seconds."},
            "timeout_seconds": {"type": ["integer", "null"], "minimum": MIN_TIMEOUT_SECONDS, "maximum": MAX_TIMEOUT_SECONDS,
                "description": "Alternative to timeout_hours; not both."},
            "timeout_default": {"type": ["string", "null"], "description": "One of options: chosen when the timeout passes."},
            "webhook_url": {"type": ["string", "null"], "format": "uri", "maxLength": 2048,
                "description": "https:// URL of a public host, stored normalised. Refused (400, param webhook_url): credentials, port 0, IP addresses outside public unicast (private, loopback, link-local, CGNAT, ULA, metadata, multicast, reserved; also in IPv4-mapped or numeric spellings), single-label names, .localhost/.local/.internal and similar suffixes, and this service's own host. Local mode also allows http:// to loopback."},
            "metadata": {"type": ["object", "null"], "description": "Echoed back; at most 4 KB as JSON."},
            "context": {"type": ["string", "null"], "maxLength": 1000, "description": "Background shown under the question on the page."},
            "danger": {"type": ["array", "null"], "items": {"type": "string"}, "description": "Options that are destructive (a subset of options, not all of them)."},
            "confirm_danger": {"type": ["boolean", "null"], "description": "Ask \"Are you sure?\" before a danger option counts; needs danger."},
            "allow_comment": {"type": ["boolean", "null"], "description": "Offer a free-text comment with the choice (response_comment)."},
            # Approval policies (README "Approval policies"). Cross-field rules (quorum count
            # at most the approvers, veto among options, one person once, delays below the
            # timeout) are in the descriptions: a schema-valid request may still get a 400.
            "approvers": {"type": ["array", "null"], "minItems": 1, "maxItems": 10, "items": ref("Approver"),
                "description": "Instead of recipient/channel (not with them, not even null): the people who decide, each with their own link; at most 10 over all escalation levels (fewer per plan). One person (any shared recipient) at most once."},
            # rule, reminders and action are described here and specified by their component
            # schemas (Rule, Reminders, Action), not referenced: beside the allOf below, three
            # more object schemas are more than schemathesis can generate requests from.
            "rule": {"description": "How the approvers' votes decide (needs approvers; default any): \"any\", \"all\", \"ordered\", or an object as #/components/schemas/Rule, e.g. {\"type\": \"quorum\", \"count\": 2, \"veto\": [\"Reject\"]}."},
            "escalation": {"type": ["array", "null"], "maxItems": 3, "items": ref("EscalationLevel"),
                "description": "Levels of approvers added after a delay of silence (needs approvers; not with the ordered rule). Delays strictly increasing, each at least the minimum timeout and less than the timeout."},
            "reminders": {"description": "Re-sends the question to approvers asked and not yet answered (needs approvers): #/components/schemas/Reminders, e.g. {\"before_timeout_seconds\": [3600]}."},
            "action": {"description": "The action being approved, shown on the page and bound to the decision: #/components/schemas/Action, e.g. {\"name\": \"wire_transfer\", \"arguments\": {\"amount_cents\": 840000}}."}},
        # timeout_hours xor timeout_seconds: never both (a null counts as absent). Said with
        # dependentSchemas rather than a top-level `not`: with the policy fields, the `not`
        # made the schema too complex for schemathesis to generate requests from.
        "dependentSchemas": {"timeout_hours": {
            "if": {"required": ["timeout_hours"], "properties": {"timeout_hours": {"type": "number"}}},
            "then": {"not": {"required": ["timeout_seconds"], "properties": {"timeout_seconds": {"type": "number"}}}}}},
        "allOf": [
            # confirm_danger needs at least one danger option.
            {"if": {"required": ["confirm_danger"], "properties": {"confirm_danger": {"const": True}}},
             "then": {"required": ["danger"], "properties": {"danger": {"type": "array", "minItems": 1}}}},
            # The recipient's form depends on the channel.
            *[when_channel([c], {"properties": {"recipient": {"pattern": pattern}}}) for c, pattern in RECIPIENTS.items()],
            when_channel(["email"], {"properties": {"recipient": {"maxLength": 254}}})]},
    "Contact": {"type": "object", "additionalProperties": False, "required": ["recipient"],
        "properties": {"channel": {"type": ["string", "null"], "enum": ["sms", "email", "slack", "whatsapp", None], "default": "sms"},
            "recipient": {"type": "string", "description": "As the top-level recipient, for this channel."}}},
    "Approver": {"type": "object", "additionalProperties": False, "required": ["recipient"],
        "properties": {"id": {"type": ["string", "null"], "pattern": "^[a-z0-9_-]{1,32}$", "description": "Unique; default approver_1, approver_2... in order over all levels."},
            "name": {"type": ["string", "null"], "description": "Shown to the others and in votes; at most 80 characters."},
            "channel": {"type": ["string", "null"], "enum": ["sms", "email", "slack", "whatsapp", None], "default": "sms"},
            "recipient": {"type": "string", "description": "As the top-level recipient, for this channel."},
            "fallbacks": {"type": ["array", "null"], "maxItems": 3, "items": ref("Contact"), "description": "Tried in order when delivery fails for good; not the same contact twice."}}},
    # A string ("any", "all", "ordered") or an object; null is no rule (any).
    "Rule": {"type": ["string", "object", "null"], "pattern": "^(any|all|ordered)$", "additionalProperties": False, "required": ["type"],
        "properties": {"type": {"type": "string", "enum": ["any", "all", "quorum", "ordered"]},
            "count": {"type": ["integer", "null"], "minimum": 2, "maximum": 10, "description": "quorum only (required there): votes for one option that decide it; at most the number of approvers."},
            "veto": {"type": ["array", "null"], "uniqueItems": True, "items": {"type": "string"}, "description": "Options (not all of them) that decide at one vote; not with any."}},
        "examples": [{"type": "quorum", "count": 2, "veto": ["Reject"]}, {"type": "all", "veto": ["Reject"]}, "ordered", "any"]},
    "EscalationLevel": {"type": "object", "additionalProperties": False, "required": ["approvers"],
        "properties": {"after_seconds": {"type": ["integer", "null"], "minimum": 1}, "after_hours": {"type": ["number", "null"], "exclusiveMinimum": 0},
            "approvers": {"type": "array", "minItems": 1, "maxItems": 10, "items": ref("Approver")}},
        "description": "after_seconds or after_hours (one of them, required): the delay after creation."},
    "Reminders": {"type": ["object", "null"], "additionalProperties": False,
        "properties": {"before_timeout_seconds": {"type": ["array", "null"], "minItems": 1, "maxItems": 3, "items": {"type": "integer", "minimum": 1}},
            "before_timeout_hours": {"type": ["array", "null"], "minItems": 1, "maxItems": 3, "items": {"type": "number", "exclusiveMinimum": 0}},
            "every_seconds": {"type": ["integer", "null"], "minimum": 1}, "every_hours": {"type": ["number", "null"], "exclusiveMinimum": 0},
            "max": {"type": ["integer", "null"], "minimum": 1, "maximum": 3, "description": "With every_*: at most this many (default 3)."}},
        "description": "Either before_timeout_* (each less than the timeout) or every_* (at least the minimum timeout) with max."},
    "Action": {"type": ["object", "null"], "additionalProperties": False, "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "description": "1 to 100 characters, e.g. wire_transfer."},
            "arguments": {"description": "Any JSON (default {}); the action is at most 8 KB as JSON."}}},
    "Vote": {"type": "object", "required": ["approver", "name", "choice", "comment", "at", "via"],
        "properties": {"approver": {"type": "string", "description": "The approver's id (recipient for a single-recipient pause)."},
            "name": nstr, "choice": {"type": "string"}, "comment": nstr, "at": ts, "via": {"type": "string"}}},
    "Delivery": {"type": "object", "required": ["status", "provider", "attempts", "error_code", "error_message", "message_id", "updated_at"],
        "properties": {"status": {"type": "string", "enum": ["queued", "sending", "sent", "delivered", "failed", "retrying"]},
            "provider": nstr, "attempts": {"type": "integer", "minimum": 0}, "error_code": {**nstr, "description": "The provider's code, or ours: channel_not_configured (no provider set up for the channel), outcome_unknown."}, "error_message": nstr,
            "message_id": {**nstr, "description": "The provider's id of the message (Twilio SID, Slack ts, email id)."}, "updated_at": nts}},
    "Pause": {
        "type": "object",
        "required": ["object", "pause_id", "status", "livemode", "channel", "recipient", "message", "options", "timeout_default",
                     "webhook_url", "metadata", "created_at", "expires_at", "response_choice", "responded_at", "responded_by",
                     "responded_via", "response_comment", "cancelled_at", "resolved_at", "delivery",
                     "context", "danger", "confirm_danger", "allow_comment"],
        "properties": {
            "object": {"const": "pause"},
            "pause_id": {"type": "string", "pattern": "^pause_[0-9a-f]{24}$"},
            "status": {"type": "string", "enum": ["pending", "responded", "timed_out", "cancelled"]},
            "livemode": {"type": "boolean"},
            "channel": {"type": "string", "enum": ["sms", "email", "slack", "whatsapp"]},
            "recipient": {"type": "string"}, "message": {"type": "string"},
            "options": {"type": "array", "items": {"type": "string"}},
            "timeout_default": nstr, "webhook_url": nstr, "metadata": {"type": ["object", "null"]},
            "created_at": ts, "expires_at": ts,
            "response_choice": nstr, "responded_at": nts,
            "responded_by": {"type": ["string", "null"], "enum": ["recipient", "timeout_default", "approvers", "no_agreement", None]},
            "rule": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["any", "all", "quorum", "ordered"]}}},
            "action": {"type": ["object", "null"]}, "votes": {"type": "array", "items": ref("Vote")},
            "action_sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$", "description": "Hex SHA-256 of the RFC 8785 canonical JSON of `action`; null without one."},
            "receipt": {"type": ["string", "null"], "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
                        "description": "The signed decision receipt once the pause ended (a compact JWS, EdDSA; keys at /.well-known/jwks.json); null before, or when the service has no signing key."},
            "approvers": {"type": "array", "description": "Multi-approver pauses only.", "items": {"type": "object",
                "required": ["id", "name", "channel", "recipient", "level", "asked_at", "voted", "delivery"],
                "properties": {"id": {"type": "string"}, "name": nstr, "channel": {"type": "string"}, "recipient": {"type": "string"},
                    "level": {"type": "integer"}, "asked_at": nts, "voted": {"type": "boolean"},
                    "delivery": {"type": "object", "description": "Like the top-level delivery (attempts is a count), plus history: every send to this approver, fallbacks included.",
                        "properties": {"attempts": {"type": "integer", "minimum": 0}, "history": {"type": "array", "items": {"type": "object",
                            "required": ["channel", "recipient", "status", "at", "error_code"],
                            "properties": {"channel": {"type": "string"}, "recipient": {"type": "string"}, "status": {"type": "string"}, "at": {"type": "string"}, "error_code": nstr}}}}}}}},
            "escalation": {"type": "array", "items": {"type": "object", "properties": {"after_seconds": {"type": "integer"}, "reached_at": nts}}},
            "reminders": {"type": ["object", "null"]},
            "responded_via": nstr, "response_comment": nstr, "cancelled_at": nts, "resolved_at": nts,
            "context": nstr, "danger": {"type": "array", "items": {"type": "string"}},
            "confirm_danger": {"type": "boolean"}, "allow_comment": {"type": "boolean"},
            "delivery": ref("Delivery")}},
    "PauseList": {"type": "object", "required": ["object", "data", "has_more", "next_cursor"],
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": ref("Pause")},
            "has_more": {"type": "boolean"}, "next_cursor": nstr}},
    "Account": {"type": "object", "required": ["object", "account_id", "name", "plan", "livemode", "key_id", "usage", "limits"],
        "properties": {"object": {"const": "account"}, "account_id": {"type": "string"}, "name": {"type": "string"},
            "plan": {"type": "string", "enum": ["free", "pro", "scale", "enterprise"]}, "livemode": {"type": "boolean"}, "key_id": {"type": "string"},
            "usage": {"type": "object", "required": ["period", "pauses"], "properties": {"period": {"type": "string"}, "pauses": {"type": "integer"}}},
            "limits": {"type": "object", "required": ["monthly_pauses", "channels", "max_timeout_seconds", "priority"],
                "properties": {"monthly_pauses": {"type": ["integer", "null"]}, "channels": {"type": "array", "items": {"type": "string"}},
                    "max_timeout_seconds": {"type": "integer"}, "priority": {"type": "boolean"}}}}},
    "ApiKey": {"type": "object", "required": ["object", "id", "mode", "display", "created_at", "revoked_at", "expires_at", "active", "secret"],
        "properties": {"object": {"const": "api_key"}, "id": {"type": "string"}, "mode": {"type": "string", "enum": ["live", "test"]},
            "display": {"type": "string"}, "created_at": ts, "revoked_at": nts, "expires_at": nts, "active": {"type": "boolean"},
            "secret": {**nstr, "description": "Only in the response that created the key."}}},
    "OutboxMessage": {"type": "object", "required": ["pause_id", "channel", "recipient", "body", "link", "created_at"],
        "properties": {"pause_id": {"type": "string"}, "account_id": {"type": "string"}, "channel": {"type": "string"}, "recipient": {"type": "string"},
            "body": {"type": "string"}, "link": {"type": "string"}, "created_at": {"type": "integer"}, "livemode": {"type": "integer"}}},
    "AuditEvent": {"type": "object", "required": ["event_id", "pause_id", "account_id", "seq", "type", "actor", "at", "context", "prev_hash", "hash"],
        "properties": {"event_id": {"type": "string"}, "pause_id": {"type": "string"}, "account_id": {"type": "string"}, "seq": {"type": "integer"},
            "type": {"type": "string"}, "actor": {"type": "string"}, "at": {"type": "integer", "description": "Milliseconds since the epoch."},
            "context": {}, "context_raw": {"type": "string"}, "prev_hash": {"type": "string"}, "hash": {"type": "string"}}},
    "WebhookEvent": {"type": "object",
        "required": ["object", "event_id", "pause_id", "type", "url", "status", "attempt_count", "created_at", "attempts"],
        "properties": {"object": {"const": "webhook_event"}, "event_id": {"type": "string", "pattern": "^msg_"}, "pause_id": {"type": "string"},
            "type": {"type": "string", "enum": ["pause.responded", "pause.timed_out", "pause.cancelled", "pause.delivery_failed", "pause.vote_recorded", "pause.escalated"]},
            "url": {"type": "string"}, "status": {"type": "string"}, "failure_reason": {**nstr, "description": "attempts_exhausted, endpoint_gone, endpoint_disabled, dead_lettered, or url_refused (the URL breaks the webhook_url rules; it was not called)."}, "attempt_count": {"type": "integer"},
            "next_attempt_at": nts, "created_at": ts, "completed_at": nts, "dead_lettered_at": nts, "payload": {},
            "attempts": {"type": "array", "items": {"type": "object", "required": ["attempt", "started_at", "status_code", "latency_ms", "error", "outcome"],
                "properties": {"attempt": {"type": "integer"}, "started_at": ts, "status_code": {"type": ["integer", "null"]},
                    "latency_ms": {"type": ["integer", "null"]}, "error": nstr, "outcome": {"type": "string"}}}}}},
}

_THREE = [{"id": "dana", "name": "Dana (CFO)", "channel": "sms", "recipient": "+13128471928"},
          {"name": "Lee", "channel": "sms", "recipient": "+13125550101"},
          {"name": "Sam", "channel": "sms", "recipient": "+13125550102"}]
_Q = {"message": "Wire $8,400 to Meridian?", "options": ["Approve", "Reject"], "timeout_hours": 4, "timeout_default": "Reject"}
CREATE_EXAMPLES = {
    "one_recipient": {"summary": "One person", "value": {"recipient": "+1 (312) 847-1928", **_Q}},
    "any": {"summary": "Anyone of them decides", "value": {**_Q, "approvers": _THREE, "rule": "any"}},
    "all": {"summary": "All must agree; a Reject decides at once", "value": {**_Q, "approvers": _THREE, "rule": {"type": "all", "veto": ["Reject"]}}},
    "quorum": {"summary": "2 of 3, a Reject decides at once, with the action", "value": {**_Q, "approvers": _THREE,
        "rule": {"type": "quorum", "count": 2, "veto": ["Reject"]},
        "action": {"name": "wire_transfer", "arguments": {"amount_cents": 840000, "to": "Meridian LLC"}}}},
    "ordered": {"summary": "One after another", "value": {**_Q, "approvers": _THREE, "rule": {"type": "ordered", "veto": ["Reject"]}}},
}

def op(summary, responses, **kw):
    o = {"summary": summary, "responses": {**responses, **COMMON}}
    o.update(kw)
    return o

paths = {
    "/v1/pause": {"post": op("Create a pause", {
        "201": {"description": "Created (or, with a replayed Idempotency-Key, the original pause; header Idempotent-Replayed: true).", **json_body(ref("Pause")),
            "links": {name: {"operationId": op_id, "parameters": {param: "$response.body#/pause_id"}} for name, op_id, param in [
                ("GetPause", "getPause", "id"), ("CancelPause", "cancelPause", "id"), ("DeletePause", "deletePause", "id"),
                ("ListWebhookEvents", "listWebhookEvents", "id"), ("VerifyAudit", "verifyAudit", "pause_id"), ("ListAudit", "listAudit", "pause_id")]}},
        "400": err("Invalid request; `param` names the field."), "403": err("Over the plan's limits."),
        "413": err("Body over 64 KB."), "415": err("Not JSON."), "422": err("Idempotency-Key reused with another request.")},
        operationId="createPause",
        parameters=[{"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"}}],
        requestBody={"required": True, "content": {"application/json": {"schema": ref("CreatePause"), "examples": CREATE_EXAMPLES}}})},
    "/v1/pause/{id}": {
        "get": op("Get a pause (optionally long-poll)", {"200": json_body(ref("Pause"), "The pause."), "400": err("Invalid `wait`."), "404": err("No such pause in this account.")},
            operationId="getPause",
            parameters=[PAUSE_ID, {"name": "wait", "in": "query", "required": False, "schema": {"type": "number", "minimum": 0, "maximum": 55},
                "description": "Hold the request up to this many seconds until the pause leaves pending."}]),
        "delete": op("Cancel a pause", {"200": json_body(ref("Pause"), "Cancelled."), "404": err("No such pause."), "409": err("Already final.")},
            operationId="deletePause", parameters=[PAUSE_ID])},
    "/v1/pause/{id}/cancel": {"post": op("Cancel a pause", {"200": json_body(ref("Pause"), "Cancelled."), "404": err("No such pause."), "409": err("Already final.")},
        operationId="cancelPause", parameters=[PAUSE_ID])},
    "/v1/pauses": {"get": op("List pauses, newest first", {"200": json_body(ref("PauseList"), "A page."), "400": err("Invalid filter or cursor.")},
        operationId="listPauses", parameters=[
            {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending", "responded", "timed_out", "cancelled"]}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
            {"name": "cursor", "in": "query", "schema": {"type": "string", "pattern": PAUSE_ID_RE}, "description": "The previous page's next_cursor."}])},
    "/v1/account": {"get": op("The account of the key", {"200": json_body(ref("Account"), "The account.")}, operationId="getAccount")},
    "/v1/keys": {
        "get": op("List API keys", {"200": json_body({"type": "object", "required": ["object", "data"], "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": ref("ApiKey")}}}, "Keys, without secrets."), "403": err("Test keys cannot manage keys.")}, operationId="listKeys"),
        "post": op("Create an API key", {"201": {**json_body(ref("ApiKey"), "The key, with its secret (shown once)."),
                "links": {"RotateKey": {"operationId": "rotateKey", "parameters": {"key_id": "$response.body#/id"}},
                          "RevokeKey": {"operationId": "revokeKey", "parameters": {"key_id": "$response.body#/id"}}}},
            "400": err("Invalid mode."), "403": err("Test keys cannot manage keys (`forbidden`), or the account already holds 20 active keys (`key_limit_exceeded`)."), "413": err("Body over 64 KB."), "415": err("Not JSON.")},
            operationId="createKey", requestBody={"required": False, **json_body({"type": "object", "additionalProperties": False, "properties": {"mode": {"type": "string", "enum": ["live", "test"]}}})})},
    "/v1/keys/{key_id}/rotate": {"post": op("Rotate an API key", {
        "201": json_body({"type": "object", "required": ["new_key", "old_key"], "properties": {"new_key": ref("ApiKey"), "old_key": {"anyOf": [ref("ApiKey"), {"type": "null"}]}}}, "The new key (with secret) and the old key's end."),
        "400": err("Invalid grace_seconds."), "403": err("Test keys cannot manage keys (`forbidden`), or a rotation with grace would hold more than 20 active keys (`key_limit_exceeded`)."), "404": err("No such active key."), "413": err("Body over 64 KB."), "415": err("Not JSON.")},
        operationId="rotateKey", parameters=[KEY_ID],
        requestBody={"required": False, **json_body({"type": "object", "additionalProperties": False, "properties": {"grace_seconds": {"type": "integer", "minimum": 0, "maximum": 604800}}})})},
    "/v1/keys/{key_id}/revoke": {"post": op("Revoke an API key", {"200": json_body(ref("ApiKey"), "The revoked key."), "403": err("Test keys cannot manage keys."), "404": err("No such key."), "409": err("The last active live key.")},
        operationId="revokeKey", parameters=[KEY_ID])},
    "/v1/pause/{id}/webhooks": {"get": op("Webhook events of a pause, with every attempt", {
        "200": json_body({"type": "object", "required": ["object", "data"], "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": ref("WebhookEvent")}}}, "Events, oldest first."),
        "404": err("No such pause.")}, operationId="listWebhookEvents", parameters=[PAUSE_ID])},
    "/v1/pause/{id}/webhooks/{event_id}/replay": {"post": op("Send a webhook event again (same id and body, fresh schedule)", {
        "202": json_body(ref("WebhookEvent"), "Queued again."), "404": err("No such pause or event."), "409": err("The event is still being delivered.")},
        operationId="replayWebhookEvent", parameters=[PAUSE_ID, {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": WEBHOOK_EVENT_ID_RE}}])},
    "/v1/webhook_secret/rotate": {"post": op("Issue a new webhook secret of a mode; the previous one keeps signing for 24 hours, an older one stops", {
        "200": json_body({"type": "object", "required": ["object", "livemode", "secret", "previous_secrets_expire_at"], "properties": {"object": {"const": "webhook_secret"},
            "livemode": {"type": "boolean", "description": "Which mode's secret this is."},
            "secret": {"type": "string", "pattern": "^whsec_"}, "previous_secrets_expire_at": nts}}, "The new secret (shown once)."),
        "400": err("Invalid mode."), "403": err("A test key asked for the live secret."), "413": err("Body over 64 KB."), "415": err("Not JSON.")},
        operationId="rotateWebhookSecret",
        description="At most two secrets of a mode sign at once; at most 5 rotations an hour per account and mode (429 `rate_limited` beyond).",
        requestBody={"required": False, **json_body({"type": "object", "additionalProperties": False,
            "properties": {"mode": {"type": "string", "enum": ["live", "test"], "description": "The key's mode by default; a test key may rotate only the test secret."}}})})},
    "/v1/audit": {"get": op("The audit log: filters, cursor pages, export", {
        "200": {"description": "A page (JSON); with format=json|ndjson|csv, a streamed export of every matching event.",
            "content": {"application/json": {"schema": {"anyOf": [{"type": "object", "required": ["object", "data", "has_more", "next_cursor"],
                "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": ref("AuditEvent")}, "has_more": {"type": "boolean"}, "next_cursor": nstr}},
                {"type": "array", "items": ref("AuditEvent"), "description": "format=json: every matching event."}]}},
                "application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}},
        "400": err("Invalid filter or cursor.")}, operationId="listAudit", parameters=[
            {"name": "pause_id", "in": "query", "schema": {"type": "string", "pattern": PAUSE_ID_RE}},
            {"name": "type", "in": "query", "schema": {"type": "string", "enum": AUDIT_EVENT_TYPES}},
            {"name": "actor", "in": "query", "schema": {"type": "string", "pattern": "^(recipient|system|api_key:.+|member:.+)$"}},
            {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}, "description": "Inclusive; not after until."},
            {"name": "until", "in": "query", "schema": {"type": "string", "format": "date-time"}, "description": "Inclusive; not before since."},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
            {"name": "cursor", "in": "query", "schema": {"type": "string", "pattern": AUDIT_EVENT_ID_RE}, "description": "The previous page's next_cursor."},
            {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "ndjson", "csv"]}, "description": "Absent: one page."}])},
    "/v1/audit/verify": {"get": op("Recompute a pause's hash chain", {
        "200": json_body({"type": "object", "required": ["object", "pause_id", "valid", "events", "head", "first_break"],
            "properties": {"object": {"const": "audit_verification"}, "pause_id": {"type": "string"}, "valid": {"type": "boolean"},
                "events": {"type": "integer", "description": "Rows verified (read from D1 200 at a time)."},
                "head": {"type": ["object", "null"], "description": "The last verified row.", "properties": {"seq": {"type": "integer"}, "hash": {"type": "string"}}},
                "first_break": {"type": ["object", "null"], "required": ["seq", "event_id", "reason"], "properties": {
                    "seq": {"type": "integer"}, "event_id": {"type": "string", "description": "Empty for missing_tail."},
                    "reason": {"type": "string", "enum": ["seq_gap", "prev_hash_mismatch", "hash_mismatch", "beyond_head", "head_mismatch", "missing_tail"],
                        "description": "seq_gap: numbering skips; prev_hash_mismatch: a row does not link to the one before; hash_mismatch: a row was altered; "
                                       "beyond_head: a row past the head the pause's Durable Object keeps; head_mismatch: the row at the head's seq is not the head "
                                       "(a rewritten tail); missing_tail: D1 holds fewer rows than the head."}}}}},
            "Whether the chain holds and ends at the pause object's head and, if not, the first row that breaks it."),
        "400": err("pause_id missing or invalid."), "404": err("No such pause in this account.")},
        operationId="verifyAudit", parameters=[{"name": "pause_id", "in": "query", "required": True, "schema": {"type": "string", "pattern": PAUSE_ID_RE}}])},
    "/r/{token}": {
        "get": {"summary": "The response page (HTML; never changes the pause)", "operationId": "responsePage", "security": [], "x-audience": "recipient",
            "description": "`page.opened` is recorded at most once per pause per 10 minutes, and never once the pause is final. "
                           "A link more than an hour past its expiry answers 410 \"This link has expired\" and reads nothing.",
            "parameters": [TOKEN, {"name": "c", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}, "description": "Preselect option c (email buttons)."}],
            "responses": {"200": html("The question, or the answered state."), "404": PAGE_404,
                          "410": html("Expired or withdrawn, or the link itself expired."), "429": PAGE_429}},
        "post": {"summary": "Answer on the response page (form post)", "operationId": "answerOnPage", "security": [], "x-audience": "recipient",
            "parameters": [TOKEN],
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                "choice": {"type": "integer", "minimum": 0}, "comment": {"type": "string"}, "confirmed": {"type": "string"}}}}}},
            "responses": {"200": html("Recorded, or the confirm step of a danger option."), "400": html("No or unknown choice, or a refused comment."),
                          "404": PAGE_404, "409": html("Already answered."), "410": html("Expired or withdrawn, or the link itself expired."),
                          "413": err("Form too large."), "429": PAGE_429}}},
    "/.well-known/jwks.json": {"get": {"summary": "The public keys that sign decision receipts (JWKS, current key first)", "operationId": "getReceiptKeys", "security": [],
        "description": "Verify a pause's `receipt` (a compact JWS, EdDSA) offline with the key whose `kid` its header names. Rotated-out keys stay listed, so old receipts stay verifiable. Public, `Cache-Control: public, max-age=300`, readable from any origin.",
        "responses": {"200": {"description": "The key set.", "content": {"application/jwk-set+json": {"schema": {"type": "object", "required": ["keys"], "properties": {
            "keys": {"type": "array", "items": {"type": "object", "required": ["kty", "crv", "x", "kid", "alg", "use"], "properties": {
                "kty": {"const": "OKP"}, "crv": {"const": "Ed25519"}, "x": {"type": "string"}, "kid": {"type": "string"},
                "alg": {"const": "EdDSA"}, "use": {"const": "sig"}}}}}}}}}}}},
    "/v1/test/outbox": {"get": op("Messages of test-mode pauses", {"200": json_body({"type": "object", "required": ["object", "data"], "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": ref("OutboxMessage")}}}, "Newest first.")},
        operationId="testOutbox", parameters=[{"name": "pause_id", "in": "query", "schema": {"type": "string"}}])},
}

doc = {
    "openapi": "3.1.0",
    "info": {"title": "PausePoint API", "version": "1.0.0",
             "description": "Human-in-the-loop pauses for AI agents: ask a person, get the answer by polling, long-polling or a signed webhook."},
    "servers": [{"url": "http://127.0.0.1:8787", "description": "local (make dev)"}],
    "security": [{"apiKey": []}],
    "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "pp_live_… or pp_test_…"}}, "schemas": schemas},
    "paths": paths,
}
out = pathlib.Path(__file__).resolve().parent.parent / "static" / "openapi.json"
text = json.dumps(doc, indent=2) + "\n"
if "--check" in sys.argv[1:]:
    # The tests run this: the served document must be exactly what this file generates.
    if not out.exists() or out.read_text() != text:
        sys.exit(f"{out} is not what docs/openapi.py generates: run `python3 docs/openapi.py` and commit both.")
    print(f"{out} is up to date")
else:
    out.write_text(text)
    print(f"wrote {out}")
