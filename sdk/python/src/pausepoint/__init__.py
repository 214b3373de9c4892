"""PausePoint: ask a person, get the answer in one blocking call.

    from pausepoint import PausePoint
    client = PausePoint()  # PAUSEPOINT_API_KEY, PAUSEPOINT_BASE_URL
    pause = client.pauses.create(recipient="+13128471928", message="Wire $8,400 to Meridian?",
                                 options=["Approve", "Reject"], timeout_default="Reject")
    print(pause.wait(timeout=3600).choice)
"""

from . import webhooks
from ._client import AsyncPausePoint, PausePoint
from ._errors import (
    APIConnectionError,
    APIStatusError,
    ApprovalDenied,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PausePointError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    WaitTimeout,
    WebhookVerificationError,
)
from ._resources import OPERATIONS
from ._types import (
    Account,
    ApiKey,
    ApproverState,
    AuditEvent,
    AuditList,
    AuditVerification,
    Delivery,
    KeyRotation,
    OutboxMessage,
    Pause,
    PauseList,
    Vote,
    WebhookAttempt,
    WebhookEvent,
    WebhookPayload,
    WebhookSecret,
)
from ._version import __version__
from .decorators import require_approval

__all__ = [
    "PausePoint",
    "AsyncPausePoint",
    "require_approval",
    "webhooks",
    "OPERATIONS",
    "__version__",
    "PausePointError",
    "APIConnectionError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "WaitTimeout",
    "ApprovalDenied",
    "WebhookVerificationError",
    "Account",
    "ApiKey",
    "AuditEvent",
    "AuditList",
    "AuditVerification",
    "Delivery",
    "KeyRotation",
    "OutboxMessage",
    "Pause",
    "Vote",
    "ApproverState",
    "PauseList",
    "WebhookAttempt",
    "WebhookEvent",
    "WebhookPayload",
    "WebhookSecret",
]
