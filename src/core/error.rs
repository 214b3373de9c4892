//! The one error type of the API. Every failure a client can see is a variant here,
//! and `status`/`code` map it to HTTP in one place.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The body is not JSON, or not the JSON shape the endpoint takes.
    InvalidJson(String),
    MissingParam {
        param: String,
        message: String,
    },
    InvalidParam {
        param: String,
        message: String,
    },
    UnknownParam {
        param: String,
        message: String,
    },
    /// Two parameters that cannot go together (`approvers` with `recipient`);
    /// `param` names the one to drop.
    ConflictingParam {
        param: String,
        message: String,
    },
    PayloadTooLarge {
        limit: usize,
    },
    UnsupportedMediaType,
    MissingApiKey,
    InvalidApiKey,
    Forbidden(String),
    /// The plan does not include this (channel, timeout length); `param` names it.
    PlanLimit {
        param: String,
        message: String,
    },
    /// The monthly allowance of live pauses is used up.
    QuotaExceeded {
        message: String,
    },
    /// Same `Idempotency-Key`, different request.
    IdempotencyKeyReused,
    RateLimited {
        retry_after_seconds: u32,
    },
    /// A limit other than the per-key request rate (the account's, rotations), with
    /// the sentence that names it. Same status and code as `RateLimited`.
    Throttled {
        retry_after_seconds: u32,
        message: String,
    },
    /// The account holds the most active API keys it may (`tenancy::MAX_ACTIVE_KEYS`).
    KeyLimit,
    KeyNotFound,
    /// Refused because it would lock the account out (revoking the last live key).
    LastLiveKey,
    PauseNotFound,
    RouteNotFound,
    MethodNotAllowed {
        allowed: &'static str,
    },
    /// The pause already reached a final state (e.g. cancelling an answered pause).
    PauseNotPending {
        status: &'static str,
    },
    WebhookEventNotFound,
    /// A replay of an event that is still being delivered.
    WebhookEventPending,
    /// A bug or an outage of ours: the detail is logged, never sent.
    Internal(String),
}

impl ApiError {
    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        ApiError::InvalidParam {
            param: param.into(),
            message: message.into(),
        }
    }
    pub fn missing(param: &str) -> Self {
        ApiError::MissingParam {
            param: param.into(),
            message: format!("The parameter `{param}` is required."),
        }
    }
    pub fn internal(detail: impl fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }

    pub fn status(&self) -> u16 {
        use ApiError::*;
        match self {
            InvalidJson(_)
            | MissingParam { .. }
            | InvalidParam { .. }
            | UnknownParam { .. }
            | ConflictingParam { .. } => 400,
            MissingApiKey | InvalidApiKey => 401,
            Forbidden(_) | PlanLimit { .. } | QuotaExceeded { .. } | KeyLimit => 403,
            PauseNotFound | RouteNotFound | KeyNotFound | WebhookEventNotFound => 404,
            LastLiveKey => 409,
            IdempotencyKeyReused => 422,
            RateLimited { .. } | Throttled { .. } => 429,
            MethodNotAllowed { .. } => 405,
            PauseNotPending { .. } | WebhookEventPending => 409,
            PayloadTooLarge { .. } => 413,
            UnsupportedMediaType => 415,
            Internal(_) => 500,
        }
    }

    /// Stable machine-readable code: clients branch on this, so never rename one.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            InvalidJson(_) => "invalid_json",
            MissingParam { .. } => "parameter_missing",
            InvalidParam { .. } => "parameter_invalid",
            UnknownParam { .. } => "parameter_unknown",
            ConflictingParam { .. } => "parameter_conflict",
            PayloadTooLarge { .. } => "body_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            MissingApiKey => "api_key_missing",
            InvalidApiKey => "api_key_invalid",
            Forbidden(_) => "forbidden",
            PlanLimit { .. } => "plan_limit_exceeded",
            QuotaExceeded { .. } => "quota_exceeded",
            IdempotencyKeyReused => "idempotency_key_reused",
            RateLimited { .. } | Throttled { .. } => "rate_limited",
            KeyLimit => "key_limit_exceeded",
            KeyNotFound => "api_key_not_found",
            LastLiveKey => "last_live_key",
            PauseNotFound => "pause_not_found",
            RouteNotFound => "route_not_found",
            MethodNotAllowed { .. } => "method_not_allowed",
            PauseNotPending { .. } => "pause_not_pending",
            WebhookEventNotFound => "webhook_event_not_found",
            WebhookEventPending => "webhook_event_pending",
            Internal(_) => "internal_error",
        }
    }

    pub fn error_type(&self) -> &'static str {
        match self.status() {
            401 => "authentication_error",
            403 => "permission_error",
            429 => "rate_limit_error",
            500 => "api_error",
            _ => "invalid_request_error",
        }
    }

    pub fn param(&self) -> Option<&str> {
        match self {
            ApiError::MissingParam { param, .. }
            | ApiError::InvalidParam { param, .. }
            | ApiError::UnknownParam { param, .. }
            | ApiError::ConflictingParam { param, .. }
            | ApiError::PlanLimit { param, .. } => Some(param),
            ApiError::IdempotencyKeyReused => Some("Idempotency-Key"),
            _ => None,
        }
    }

    /// The sentence a person reads. Internal details stay out of it.
    pub fn message(&self) -> String {
        use ApiError::*;
        match self {
            InvalidJson(m) => m.clone(),
            MissingParam { message, .. } | InvalidParam { message, .. } | UnknownParam { message, .. } | ConflictingParam { message, .. } => {
                message.clone()
            }
            PayloadTooLarge { limit } => {
                format!("The request body is larger than the limit of {limit} bytes.")
            }
            UnsupportedMediaType => "Send the request body as JSON with `Content-Type: application/json`.".into(),
            MissingApiKey => {
                "No API key was sent. Add the header `Authorization: Bearer pp_live_...` (or a pp_test_ key).".into()
            }
            InvalidApiKey => "The API key is not valid: it may be mistyped, revoked or rotated.".into(),
            Forbidden(m) => m.clone(),
            PlanLimit { message, .. } | QuotaExceeded { message } => message.clone(),
            IdempotencyKeyReused => "This Idempotency-Key was already used with a different request body. Use a new key for a new request.".into(),
            RateLimited { retry_after_seconds } => format!("Too many requests for this API key. Retry after {retry_after_seconds} seconds."),
            Throttled { message, .. } => message.clone(),
            KeyLimit => format!("This account already has {} active API keys, the most it can hold. Revoke a key you no longer use (POST /v1/keys/{{id}}/revoke) before creating or rotating another.", super::tenancy::MAX_ACTIVE_KEYS),
            KeyNotFound => "No API key with this id exists in this account.".into(),
            LastLiveKey => "This is the account's last active live key: create or rotate to a new one before revoking it.".into(),
            PauseNotFound => "No pause with this id exists in this account.".into(),
            RouteNotFound => "No endpoint matches this path. See the API reference at /.".into(),
            MethodNotAllowed { allowed } => format!("This endpoint accepts only: {allowed}."),
            PauseNotPending { status } => {
                format!("The pause is already {status}; only a pending pause can change.")
            }
            WebhookEventNotFound => "No webhook event with this id exists for this pause. List them at /v1/pause/{id}/webhooks.".into(),
            WebhookEventPending => "This event is still being delivered; replay it once it has succeeded or failed.".into(),
            Internal(_) => "Something went wrong on our side. Retry the request; if it keeps failing, contact support with the request id.".into(),
        }
    }

    /// Seconds to wait before retrying, for the `Retry-After` header.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            ApiError::RateLimited {
                retry_after_seconds,
            }
            | ApiError::Throttled {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// The JSON error envelope shared by every endpoint.
    pub fn to_json(&self, request_id: &str) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "type": self.error_type(),
                "code": self.code(),
                "message": self.message(),
                "param": self.param(),
                "request_id": request_id,
            }
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Internal(detail) => write!(f, "internal: {detail}"),
            other => write!(f, "{}: {}", other.code(), other.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail() {
        let e = ApiError::internal("D1_ERROR: no such table: pauses");
        let body = e.to_json("req_1").to_string();
        assert!(!body.contains("no such table"));
        assert_eq!(e.status(), 500);
        assert_eq!(e.code(), "internal_error");
    }

    #[test]
    fn param_errors_name_the_parameter() {
        let e = ApiError::invalid("recipient", "bad");
        let v = e.to_json("req_1");
        assert_eq!(v["error"]["param"], "recipient");
        assert_eq!(v["error"]["code"], "parameter_invalid");
        assert_eq!(v["error"]["request_id"], "req_1");
        assert_eq!(e.status(), 400);
    }
}
