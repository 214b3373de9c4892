"""What every framework hook shares: describing a tool call and the approval options."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional, Sequence

CONTEXT_LIMIT = 1000  # the API's limit on `context`


def describe(name: str, arguments: Any) -> str:
    """`wire_money({"amount": 8400, "to": "Meridian"})`, cut to the API's context limit."""
    if isinstance(arguments, str):
        args = arguments
    else:
        try:
            args = json.dumps(arguments, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            args = repr(arguments)
    text = f"{name}({args})"
    return text if len(text) <= CONTEXT_LIMIT else text[: CONTEXT_LIMIT - 1] + "…"


@dataclass
class Ask:
    """Who decides and how they are asked. `message` may use `{tool}` and `{args}`."""

    recipient: str
    message: str = "Allow {tool}?"
    options: Sequence[str] = ("Approve", "Reject")
    approve: Optional[Sequence[str]] = None  # default: the first option
    timeout: Optional[float] = None  # seconds to wait for the answer
    create: Optional[dict] = None  # more create parameters (channel, timeout_seconds, ...)

    def params(self, tool: str, arguments: Any, metadata: Optional[dict] = None) -> dict:
        p = dict(self.create or {})
        p.setdefault("context", describe(tool, arguments))
        if metadata is not None:
            p.setdefault("metadata", metadata)
        return dict(
            recipient=self.recipient,
            message=self.message.format(tool=tool, args=describe(tool, arguments)),
            options=list(self.options),
            **p,
        )

    def approved(self, pause: Any) -> bool:
        return pause.choice in (tuple(self.approve) if self.approve is not None else (self.options[0],))

    def reason(self, pause: Any) -> str:
        """What the model is told when the person declines."""
        who = "nobody answered in time" if pause.responded_by == "timeout_default" else "a person"
        text = f"The call was not approved: {who} chose {pause.choice or pause.status!r} (PausePoint {pause.pause_id})."
        if pause.response_comment:
            text += f" Their comment: {pause.response_comment}"
        return text
