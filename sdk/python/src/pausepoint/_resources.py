"""The API's operations, written once for both clients: each method describes its
request (`_Req`) and hands it to the client's `_call`, which is a plain call in
`PausePoint` and a coroutine in `AsyncPausePoint`. `OPERATIONS` maps every
operationId of openapi.json to its method (a test keeps them in step)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence
from urllib.parse import quote

from ._types import (
    Account,
    ApiKey,
    AuditList,
    AuditVerification,
    KeyRotation,
    OutboxMessage,
    Pause,
    PauseList,
    WebhookEvent,
    WebhookSecret,
)

OPERATIONS: Dict[str, str] = {
    "createPause": "pauses.create",
    "getPause": "pauses.retrieve",
    "deletePause": "pauses.delete",
    "cancelPause": "pauses.cancel",
    "listPauses": "pauses.list",
    "getAccount": "account.retrieve",
    "listKeys": "keys.list",
    "createKey": "keys.create",
    "rotateKey": "keys.rotate",
    "revokeKey": "keys.revoke",
    "listWebhookEvents": "webhooks.list",
    "replayWebhookEvent": "webhooks.replay",
    "rotateWebhookSecret": "webhooks.rotate_secret",
    "listAudit": "audit.list",
    "verifyAudit": "audit.verify",
    "testOutbox": "test.outbox",
    "getReceiptKeys": "receipts.keys",
}


@dataclass
class _Req:
    method: str
    path: str
    parse: Callable[[Any, Any, Mapping[str, str]], Any]
    params: Optional[Dict[str, Any]] = None
    json: Any = None
    headers: Dict[str, str] = field(default_factory=dict)
    # Safe to send again after a 5xx or a connection lost mid-request.
    idempotent: bool = True
    timeout: Optional[float] = None
    retries: Optional[int] = None
    text: bool = False


def _seg(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("an id must be a non-empty string")
    return quote(value, safe="")


def _clean(params: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def _pause(client: Any, body: Any, headers: Mapping[str, str]) -> Pause:
    replayed = str(headers.get("idempotent-replayed", "")).lower() == "true"
    return Pause.from_dict(body, _client=client, idempotent_replayed=replayed)


def _pause_list(client: Any, body: Any, headers: Mapping[str, str]) -> PauseList:
    page = PauseList.from_dict(body)
    for p in page.data:
        p._client = client
    return page


def _model(cls: Any) -> Callable[[Any, Any, Mapping[str, str]], Any]:
    return lambda client, body, headers: cls.from_dict(body)


def _list_of(cls: Any) -> Callable[[Any, Any, Mapping[str, str]], Any]:
    def parse(client: Any, body: Any, headers: Mapping[str, str]) -> List[Any]:
        data = body.get("data") if isinstance(body, dict) else None
        return [cls.from_dict(x) for x in (data or [])]

    return parse


def format_wait(seconds: float) -> str:
    seconds = max(0.0, min(55.0, float(seconds)))
    return f"{seconds:.3f}".rstrip("0").rstrip(".") or "0"


class _Resource:
    def __init__(self, client: Any) -> None:
        self._c = client


class Pauses(_Resource):
    def create(
        self,
        *,
        message: str,
        options: Sequence[str],
        recipient: Optional[str] = None,
        channel: Optional[str] = None,
        approvers: Optional[Sequence[Dict[str, Any]]] = None,
        rule: Optional[Any] = None,
        escalation: Optional[Sequence[Dict[str, Any]]] = None,
        reminders: Optional[Dict[str, Any]] = None,
        action: Optional[Dict[str, Any]] = None,
        timeout_hours: Optional[float] = None,
        timeout_seconds: Optional[int] = None,
        timeout_default: Optional[str] = None,
        webhook_url: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
        context: Optional[str] = None,
        danger: Optional[Sequence[str]] = None,
        confirm_danger: Optional[bool] = None,
        allow_comment: Optional[bool] = None,
        idempotency_key: Optional[str] = None,
        **extra: Any,
    ) -> Pause:
        """Creates a pause (`POST /v1/pause`): one `recipient`, or several `approvers`
        decided by a `rule` (README "Approval policies"). An `Idempotency-Key` is
        generated when none is given, so the automatic retries never create two pauses."""
        body = _clean(
            dict(
                recipient=recipient,
                message=message,
                options=list(options),
                channel=channel,
                approvers=list(approvers) if approvers is not None else None,
                rule=rule,
                escalation=list(escalation) if escalation is not None else None,
                reminders=reminders,
                action=action,
                timeout_hours=timeout_hours,
                timeout_seconds=timeout_seconds,
                timeout_default=timeout_default,
                webhook_url=webhook_url,
                metadata=metadata,
                context=context,
                danger=list(danger) if danger is not None else None,
                confirm_danger=confirm_danger,
                allow_comment=allow_comment,
                **extra,
            )
        )
        key = idempotency_key or f"pp-{uuid.uuid4()}"
        return self._c._call(
            _Req("POST", "/v1/pause", _pause, json=body, headers={"Idempotency-Key": key})
        )

    def retrieve(self, pause_id: str, *, wait: Optional[float] = None) -> Pause:
        """`GET /v1/pause/{id}`; `wait` (≤ 55 s) holds the request until the pause changes."""
        params = {"wait": format_wait(wait)} if wait is not None else None
        timeout = None if wait is None else float(wait) + 15.0
        return self._c._call(
            _Req("GET", f"/v1/pause/{_seg(pause_id)}", _pause, params=params, timeout=timeout)
        )

    get = retrieve

    def wait(self, pause_id: str, *, timeout: Optional[float] = None) -> Pause:
        """Blocks until the pause is decided (see `Pause.wait`)."""
        return self._c._wait(pause_id, timeout)

    def cancel(self, pause_id: str) -> Pause:
        """`POST /v1/pause/{id}/cancel` (409 `pause_not_pending` once it is final)."""
        return self._c._call(_Req("POST", f"/v1/pause/{_seg(pause_id)}/cancel", _pause))

    def delete(self, pause_id: str) -> Pause:
        """`DELETE /v1/pause/{id}`: cancels, like `cancel`."""
        return self._c._call(_Req("DELETE", f"/v1/pause/{_seg(pause_id)}", _pause))

    def list(
        self, *, status: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> PauseList:
        params = _clean(dict(status=status, limit=limit, cursor=cursor))
        return self._c._call(_Req("GET", "/v1/pauses", _pause_list, params=params))


class AccountResource(_Resource):
    def retrieve(self) -> Account:
        return self._c._call(_Req("GET", "/v1/account", _model(Account)))


class Keys(_Resource):
    def list(self) -> List[ApiKey]:
        return self._c._call(_Req("GET", "/v1/keys", _list_of(ApiKey)))

    def create(self, *, mode: Optional[str] = None) -> ApiKey:
        """A new key; its `secret` is in this response only."""
        return self._c._call(
            _Req("POST", "/v1/keys", _model(ApiKey), json=_clean({"mode": mode}), idempotent=False)
        )

    def rotate(self, key_id: str, *, grace_seconds: Optional[int] = None) -> KeyRotation:
        return self._c._call(
            _Req(
                "POST",
                f"/v1/keys/{_seg(key_id)}/rotate",
                _model(KeyRotation),
                json=_clean({"grace_seconds": grace_seconds}),
                idempotent=False,
            )
        )

    def revoke(self, key_id: str) -> ApiKey:
        return self._c._call(_Req("POST", f"/v1/keys/{_seg(key_id)}/revoke", _model(ApiKey)))


class Webhooks(_Resource):
    def list(self, pause_id: str) -> List[WebhookEvent]:
        """The pause's webhook events with every delivery attempt, oldest first."""
        return self._c._call(
            _Req("GET", f"/v1/pause/{_seg(pause_id)}/webhooks", _list_of(WebhookEvent))
        )

    def replay(self, pause_id: str, event_id: str) -> WebhookEvent:
        return self._c._call(
            _Req(
                "POST",
                f"/v1/pause/{_seg(pause_id)}/webhooks/{_seg(event_id)}/replay",
                _model(WebhookEvent),
                idempotent=False,
            )
        )

    def rotate_secret(self) -> WebhookSecret:
        """A new signing secret (shown once); the old ones sign for 24 more hours."""
        return self._c._call(
            _Req("POST", "/v1/webhook_secret/rotate", _model(WebhookSecret), idempotent=False)
        )


class Audit(_Resource):
    def list(
        self,
        *,
        pause_id: Optional[str] = None,
        type: Optional[str] = None,
        actor: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> AuditList:
        params = _clean(
            dict(pause_id=pause_id, type=type, actor=actor, since=since, until=until, limit=limit, cursor=cursor)
        )
        return self._c._call(_Req("GET", "/v1/audit", _model(AuditList), params=params))

    def export(
        self,
        *,
        format: str = "ndjson",
        pause_id: Optional[str] = None,
        type: Optional[str] = None,
        actor: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
    ) -> str:
        """Every matching event as text: `format` is `json`, `ndjson` or `csv`."""
        params = _clean(dict(format=format, pause_id=pause_id, type=type, actor=actor, since=since, until=until))
        return self._c._call(
            _Req("GET", "/v1/audit", lambda c, body, h: body, params=params, text=True, timeout=300.0)
        )

    def verify(self, pause_id: str) -> AuditVerification:
        return self._c._call(
            _Req("GET", "/v1/audit/verify", _model(AuditVerification), params={"pause_id": pause_id})
        )


class TestMode(_Resource):
    __test__ = False  # not a pytest class

    def outbox(self, *, pause_id: Optional[str] = None) -> List[OutboxMessage]:
        """Messages of the account's test-mode pauses (they never reach a provider)."""
        return self._c._call(
            _Req("GET", "/v1/test/outbox", _list_of(OutboxMessage), params=_clean({"pause_id": pause_id}))
        )


class Receipts(_Resource):
    def keys(self) -> Dict[str, Any]:
        """The public keys that sign decision receipts (`/.well-known/jwks.json`), the
        current one first. Verify a pause's `receipt` against them offline before acting:
        see examples/python/verify_receipt.py."""
        return self._c._call(_Req("GET", "/.well-known/jwks.json", lambda client, body, headers: body))
