"""LangGraph: a person decides, from their phone, inside a node or a tool.

Durable (with a checkpointer): `ask_human` creates the pause and `interrupt()`s the
graph with its id; when the answer arrives (a `pause.responded` webhook, or a poll),
`command_from_webhook` turns it into the `Command(resume=choice)` for the thread:

    def approve(state):
        choice = ask_human(recipient="+13128471928", message="Refund $120 to order 42?")
        return {"approved": choice == "Approve"}

    # in the webhook handler:
    thread_id, command = command_from_webhook(body, headers, secret)
    graph.invoke(command, {"configurable": {"thread_id": thread_id}})

Blocking (simple graphs, no checkpointer): `wait_for_human(...)` creates the pause and
waits for the answer in the node.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional, Sequence, Tuple

THREAD_KEY = "langgraph_thread_id"


def _client(client: Any) -> Any:
    from .._client import PausePoint

    return client if client is not None else PausePoint()


def _params(recipient: str, message: str, options: Sequence[str], create: dict) -> dict:
    return dict(recipient=recipient, message=message, options=list(options), **create)


def ask_human(
    *,
    recipient: str,
    message: str,
    options: Sequence[str] = ("Approve", "Reject"),
    client: Any = None,
    **create: Any,
) -> str:
    """Inside a node or tool of a graph compiled with a checkpointer: asks `recipient`
    and interrupts with `{"pause_id", "message", "options"}`; on resume returns the
    resume value (the choice). The node runs again on resume: the pause is created with
    an Idempotency-Key derived from the thread, the task and the question, so the
    second run finds the same pause and sends nothing again."""
    pause = _client(client).pauses.create(**_durable_params(recipient, message, options, create))
    return _interrupt(pause, message, options)


async def aask_human(
    *,
    recipient: str,
    message: str,
    options: Sequence[str] = ("Approve", "Reject"),
    client: Any = None,
    **create: Any,
) -> str:
    """`ask_human` for async nodes and tools (`graph.ainvoke`), with `AsyncPausePoint`."""
    from .._client import AsyncPausePoint

    c = client if client is not None else AsyncPausePoint()
    pause = await c.pauses.create(**_durable_params(recipient, message, options, create))
    return _interrupt(pause, message, options)


def _durable_params(recipient: str, message: str, options: Sequence[str], create: dict) -> dict:
    """Create parameters with the thread in the metadata and an Idempotency-Key derived
    from the thread, the task and the question."""
    from langgraph.config import get_config

    conf = get_config().get("configurable", {})
    thread = str(conf.get("thread_id", ""))
    scope = json.dumps([thread, conf.get("checkpoint_ns", ""), message, list(options)], sort_keys=True)
    key = "lg-" + hashlib.sha256(scope.encode()).hexdigest()[:48]
    create = dict(create)
    meta = dict(create.pop("metadata", None) or {}, **{THREAD_KEY: thread})
    return dict(_params(recipient, message, options, create), metadata=meta, idempotency_key=key)


def _interrupt(pause: Any, message: str, options: Sequence[str]) -> Any:
    from langgraph.types import interrupt

    if pause.is_final:  # answered before the graph got here again
        return pause.choice
    return interrupt({"pause_id": pause.pause_id, "message": message, "options": list(options)})


def wait_for_human(
    *,
    recipient: str,
    message: str,
    options: Sequence[str] = ("Approve", "Reject"),
    timeout: Optional[float] = None,
    client: Any = None,
    **create: Any,
) -> Optional[str]:
    """The blocking variant: creates the pause and waits in the node (no checkpointer
    needed). Returns the choice (None if the pause timed out without a default or was
    cancelled); raises `WaitTimeout` after `timeout` seconds."""
    pause = _client(client).pauses.create(**_params(recipient, message, options, create))
    return pause.wait(timeout=timeout).choice


def command_from_pause(pause: Any) -> Tuple[str, Any]:
    """(thread_id, Command(resume=choice)) for a decided pause made by `ask_human`."""
    from langgraph.types import Command

    meta = pause.metadata or {}
    if THREAD_KEY not in meta:
        raise ValueError(f"{pause.pause_id} was not created by ask_human (no {THREAD_KEY} in its metadata)")
    return meta[THREAD_KEY], Command(resume=pause.choice)


def command_from_webhook(body: Any, headers: Any, secret: str) -> Tuple[str, Any]:
    """Verifies a `pause.responded` webhook and returns (thread_id, Command(resume=choice)).
    Raises `WebhookVerificationError` for a bad signature, ValueError for other events."""
    from ..webhooks import verify

    event = verify(body, headers, secret)
    if event.type != "pause.responded" or event.data is None:
        raise ValueError(f"{event.type} carries no answer to resume with")
    return command_from_pause(event.data)
