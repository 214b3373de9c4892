"""Exceptions. Every refusal of the API becomes a `PausePointError` carrying the
envelope's `code`, `param`, `request_id` and the HTTP `status`; the subclass follows
the status, so callers can catch broadly or narrowly without knowing every code."""

from __future__ import annotations

from typing import Any, Mapping, Optional


class PausePointError(Exception):
    """Base of every error this package raises."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        param: Optional[str] = None,
        request_id: Optional[str] = None,
        type: Optional[str] = None,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.param = param
        self.request_id = request_id
        self.type = type
        self.body = body
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        bits = [self.message]
        if self.code:
            bits.append(f"(code={self.code}")
            if self.param:
                bits[-1] += f", param={self.param}"
            if self.request_id:
                bits[-1] += f", request_id={self.request_id}"
            bits[-1] += ")"
        return " ".join(bits)


class APIConnectionError(PausePointError):
    """The service could not be reached (after the retries)."""


class APIStatusError(PausePointError):
    """The service answered with an error status (4xx/5xx)."""


class BadRequestError(APIStatusError):
    """400 (and other 4xx without a closer class): the request is wrong; `param` names the field."""


class AuthenticationError(APIStatusError):
    """401: no key, or an unknown or revoked key."""


class PermissionDeniedError(APIStatusError):
    """403: over the plan's limits, or not allowed with this key."""


class NotFoundError(APIStatusError):
    """404."""


class ConflictError(APIStatusError):
    """409: e.g. `pause_not_pending`."""


class UnprocessableEntityError(APIStatusError):
    """422: e.g. `idempotency_key_reused`."""


class RateLimitError(APIStatusError):
    """429 (after the retries)."""


class InternalServerError(APIStatusError):
    """5xx (after the retries)."""


class WaitTimeout(PausePointError, TimeoutError):
    """`wait(timeout=...)` ran out while the pause was still pending; `.pause` is its last state."""

    def __init__(self, message: str, pause: Any) -> None:
        super().__init__(message)
        self.pause = pause


class ApprovalDenied(PausePointError):
    """`@require_approval`: the person chose another option (or nobody answered)."""

    def __init__(self, message: str, pause: Any) -> None:
        super().__init__(message)
        self.pause = pause


class WebhookVerificationError(PausePointError):
    """A webhook's signature, timestamp or headers did not check out."""


_BY_STATUS = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_from_response(status: int, body: Any, headers: Mapping[str, str]) -> APIStatusError:
    """Maps any error response to an exception, reading the documented envelope
    generically (`{"error": {type, code, message, param, request_id}}`)."""
    env = body.get("error") if isinstance(body, dict) else None
    env = env if isinstance(env, dict) else {}
    request_id = env.get("request_id") or _header(headers, "request-id")
    message = env.get("message") or f"HTTP {status}"
    if status >= 500:
        cls: type = InternalServerError
    else:
        cls = _BY_STATUS.get(status, BadRequestError)
    return cls(
        str(message),
        status=status,
        code=env.get("code"),
        param=env.get("param"),
        request_id=request_id,
        type=env.get("type"),
        body=body,
        headers=headers,
    )


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None
