"""Verifying PausePoint webhooks (Standard Webhooks signatures).

    event = pausepoint.webhooks.verify(request.body, request.headers, os.environ["PAUSEPOINT_WEBHOOK_SECRET"])
    if event.type == "pause.responded": ... event.data.choice ...
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Iterable, Mapping, Optional, Tuple, Union

from ._errors import WebhookVerificationError
from ._types import WebhookPayload

TOLERANCE_SECONDS = 300

Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


def _header(headers: Headers, name: str) -> Optional[str]:
    items = headers.items() if hasattr(headers, "items") else headers
    for k, v in items:  # type: ignore[union-attr]
        k = k.decode() if isinstance(k, bytes) else k
        if k.lower() == name:
            return v.decode() if isinstance(v, bytes) else v
    return None


def _key(secret: str) -> bytes:
    raw = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as e:
        raise WebhookVerificationError("The webhook secret is not `whsec_` followed by base64.") from e


def sign(body: Union[bytes, str], msg_id: str, timestamp: int, secret: str) -> str:
    """The `webhook-signature` value PausePoint would send (useful in tests)."""
    payload = body.encode() if isinstance(body, str) else body
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + payload, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify(
    body: Union[bytes, str],
    headers: Headers,
    secret: Union[str, Iterable[str]],
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: Optional[float] = None,
) -> WebhookPayload:
    """Checks `webhook-signature` over the raw `body` (bytes as received) with the
    account's `whsec_` secret (or several, during a rotation), refuses timestamps more
    than `tolerance` seconds away, and returns the parsed event. Raises
    `WebhookVerificationError` otherwise."""
    msg_id = _header(headers, "webhook-id")
    ts = _header(headers, "webhook-timestamp")
    sigs = _header(headers, "webhook-signature")
    if not msg_id or not ts or not sigs:
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature header.")
    try:
        timestamp = int(ts)
    except ValueError as e:
        raise WebhookVerificationError("webhook-timestamp is not an integer.") from e
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is too old or too far in the future.")
    secrets = [secret] if isinstance(secret, str) else list(secret)
    presented = [s.split(",", 1)[1] for s in sigs.split() if s.startswith("v1,")]
    ok = any(
        hmac.compare_digest(sign(body, msg_id, timestamp, sec).split(",", 1)[1], p)
        for sec in secrets
        for p in presented
    )
    if not ok:
        raise WebhookVerificationError("No webhook-signature matches the secret.")
    try:
        data: Any = json.loads(body)
    except ValueError as e:
        raise WebhookVerificationError("The body is not JSON.") from e
    return WebhookPayload.from_dict(data, id=msg_id)
