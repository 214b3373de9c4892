"""Typed results: light dataclasses built from the API's JSON. Fields the API adds
later are kept in `raw` (never an error), fields it omits are `None`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Type, TypeVar

T = TypeVar("T", bound="_Model")

FINAL_STATUSES = ("responded", "timed_out", "cancelled")


@dataclass
class _Model:
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls: Type[T], data: Any, **extra: Any) -> T:
        data = data if isinstance(data, dict) else {}
        kwargs: Dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "raw" or not f.init:
                continue
            if f.name in extra:
                kwargs[f.name] = extra[f.name]
            elif f.name in data:
                kwargs[f.name] = _convert(f.name, data[f.name], cls)
        return cls(raw=data, **kwargs)


def _convert(name: str, value: Any, cls: type) -> Any:
    nested = _NESTED.get((cls.__name__, name))
    if nested is None or value is None:
        return value
    kind, model = nested
    if kind == "list":
        return [model.from_dict(v) for v in value] if isinstance(value, list) else value
    return model.from_dict(value)


@dataclass
class Delivery(_Model):
    status: Optional[str] = None
    provider: Optional[str] = None
    attempts: Optional[int] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    message_id: Optional[str] = None
    updated_at: Optional[str] = None


@dataclass
class Vote(_Model):
    """One approver's answer (a single-recipient pause's answer is one vote by `recipient`)."""

    approver: str = ""
    name: Optional[str] = None
    choice: Optional[str] = None
    comment: Optional[str] = None
    at: Optional[str] = None
    via: Optional[str] = None


@dataclass
class ApproverState(_Model):
    id: str = ""
    name: Optional[str] = None
    channel: Optional[str] = None
    recipient: Optional[str] = None
    level: Optional[int] = None
    asked_at: Optional[str] = None
    voted: Optional[bool] = None
    delivery: Optional[Dict[str, Any]] = None


@dataclass
class Pause(_Model):
    """A pause. `wait()` blocks (or, from `AsyncPausePoint`, awaits) until it is decided."""

    pause_id: str = ""
    status: str = ""
    livemode: Optional[bool] = None
    channel: Optional[str] = None
    recipient: Optional[str] = None
    message: Optional[str] = None
    options: List[str] = field(default_factory=list)
    timeout_default: Optional[str] = None
    webhook_url: Optional[str] = None
    metadata: Optional[Dict[str, Any]] = None
    created_at: Optional[str] = None
    expires_at: Optional[str] = None
    response_choice: Optional[str] = None
    responded_at: Optional[str] = None
    responded_by: Optional[str] = None
    responded_via: Optional[str] = None
    response_comment: Optional[str] = None
    cancelled_at: Optional[str] = None
    resolved_at: Optional[str] = None
    context: Optional[str] = None
    danger: List[str] = field(default_factory=list)
    confirm_danger: Optional[bool] = None
    allow_comment: Optional[bool] = None
    delivery: Optional[Delivery] = None
    rule: Any = None
    action: Optional[Dict[str, Any]] = None
    action_sha256: Optional[str] = None
    votes: List[Vote] = field(default_factory=list)
    # The signed decision receipt (compact JWS), None while pending.
    receipt: Optional[str] = None
    approvers: List[ApproverState] = field(default_factory=list)
    escalation: Optional[List[Dict[str, Any]]] = None
    reminders: Optional[Dict[str, Any]] = None
    # True when a create was answered from its Idempotency-Key (no new pause).
    idempotent_replayed: bool = False
    _client: Any = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.pause_id

    @property
    def choice(self) -> Optional[str]:
        """The option chosen (by the person or by the timeout's default), else None."""
        return self.response_choice

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def wait(self, timeout: Optional[float] = None) -> Any:
        """Blocks until the pause leaves `pending` (long-polls `?wait=`, never sleeps
        in a loop) and returns it; raises `WaitTimeout` if `timeout` seconds pass first.
        From `AsyncPausePoint` this is a coroutine: `await pause.wait()`."""
        if self._client is None:
            raise RuntimeError("this Pause is not bound to a client; use client.pauses.wait(id)")
        return self._client.pauses.wait(self.pause_id, timeout=timeout)

    def refresh(self) -> Any:
        return self._client.pauses.retrieve(self.pause_id)

    def cancel(self) -> Any:
        return self._client.pauses.cancel(self.pause_id)


@dataclass
class PauseList(_Model):
    data: List[Pause] = field(default_factory=list)
    has_more: bool = False
    next_cursor: Optional[str] = None


@dataclass
class AccountUsage(_Model):
    period: Optional[str] = None
    pauses: Optional[int] = None


@dataclass
class AccountLimits(_Model):
    monthly_pauses: Optional[int] = None
    channels: List[str] = field(default_factory=list)
    max_timeout_seconds: Optional[int] = None
    priority: Optional[bool] = None


@dataclass
class Account(_Model):
    account_id: str = ""
    name: Optional[str] = None
    plan: Optional[str] = None
    livemode: Optional[bool] = None
    key_id: Optional[str] = None
    usage: Optional[AccountUsage] = None
    limits: Optional[AccountLimits] = None


@dataclass
class ApiKey(_Model):
    id: str = ""
    mode: Optional[str] = None
    display: Optional[str] = None
    created_at: Optional[str] = None
    revoked_at: Optional[str] = None
    expires_at: Optional[str] = None
    active: Optional[bool] = None
    secret: Optional[str] = None


@dataclass
class KeyRotation(_Model):
    new_key: Optional[ApiKey] = None
    old_key: Optional[ApiKey] = None


@dataclass
class WebhookAttempt(_Model):
    attempt: Optional[int] = None
    started_at: Optional[str] = None
    status_code: Optional[int] = None
    latency_ms: Optional[int] = None
    error: Optional[str] = None
    outcome: Optional[str] = None


@dataclass
class WebhookEvent(_Model):
    event_id: str = ""
    pause_id: Optional[str] = None
    type: Optional[str] = None
    url: Optional[str] = None
    status: Optional[str] = None
    failure_reason: Optional[str] = None
    attempt_count: Optional[int] = None
    next_attempt_at: Optional[str] = None
    created_at: Optional[str] = None
    completed_at: Optional[str] = None
    dead_lettered_at: Optional[str] = None
    payload: Any = None
    attempts: List[WebhookAttempt] = field(default_factory=list)


@dataclass
class WebhookSecret(_Model):
    secret: str = ""
    #: Which mode's secret: test mode signs with its own.
    livemode: bool = True
    previous_secrets_expire_at: Optional[str] = None


@dataclass
class AuditEvent(_Model):
    event_id: str = ""
    pause_id: Optional[str] = None
    account_id: Optional[str] = None
    seq: Optional[int] = None
    type: Optional[str] = None
    actor: Optional[str] = None
    at: Optional[int] = None
    time: Optional[str] = None
    context: Any = None
    context_raw: Optional[str] = None
    prev_hash: Optional[str] = None
    hash: Optional[str] = None


@dataclass
class AuditList(_Model):
    data: List[AuditEvent] = field(default_factory=list)
    has_more: bool = False
    next_cursor: Optional[str] = None


@dataclass
class AuditVerification(_Model):
    pause_id: str = ""
    valid: bool = False
    events: Optional[int] = None
    head: Any = None
    first_break: Any = None


@dataclass
class OutboxMessage(_Model):
    pause_id: str = ""
    account_id: Optional[str] = None
    channel: Optional[str] = None
    recipient: Optional[str] = None
    body: Optional[str] = None
    link: Optional[str] = None
    created_at: Optional[int] = None
    livemode: Optional[int] = None


@dataclass
class WebhookPayload(_Model):
    """A verified webhook: `type` (`pause.responded`, ...), `timestamp`, `data` (the pause)."""

    type: str = ""
    timestamp: Optional[str] = None
    data: Optional[Pause] = None
    id: Optional[str] = None


_NESTED = {
    ("Pause", "delivery"): ("one", Delivery),
    ("Pause", "votes"): ("list", Vote),
    ("Pause", "approvers"): ("list", ApproverState),
    ("PauseList", "data"): ("list", Pause),
    ("Account", "usage"): ("one", AccountUsage),
    ("Account", "limits"): ("one", AccountLimits),
    ("KeyRotation", "new_key"): ("one", ApiKey),
    ("KeyRotation", "old_key"): ("one", ApiKey),
    ("WebhookEvent", "attempts"): ("list", WebhookAttempt),
    ("AuditList", "data"): ("list", AuditEvent),
    ("WebhookPayload", "data"): ("one", Pause),
}
