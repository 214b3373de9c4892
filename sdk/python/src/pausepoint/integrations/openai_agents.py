"""OpenAI Agents SDK: tools declared with `needs_approval=True` stop the run with
interruptions; these helpers ask a person through PausePoint about each one, approve
or reject it on the run's `RunState` (a rejection tells the model why), and resume.

    result = await run_with_approvals(agent, "Pay invoice 42", recipient="+13128471928")
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional, Sequence

from ._common import Ask


async def resolve_interruptions(
    result: Any,
    *,
    recipient: str,
    client: Any = None,
    message: str = "Allow {tool}?",
    options: Sequence[str] = ("Approve", "Reject"),
    approve: Optional[Sequence[str]] = None,
    timeout: Optional[float] = None,
    **create: Any,
) -> Any:
    """Asks about every pending tool call of `result` at once (one pause each) and
    returns the `RunState` to resume from with `Runner.run(agent, state)`. `client` is
    an `AsyncPausePoint` (default) or a `PausePoint`."""
    from .._client import AsyncPausePoint, PausePoint

    client = client if client is not None else AsyncPausePoint()
    ask = Ask(recipient, message, options, approve, timeout, create)
    state = result.to_state()

    blocking = isinstance(client, PausePoint)  # keep a blocking client off the event loop

    async def decide(item: Any) -> None:
        name = item.tool_name or getattr(item.raw_item, "name", "tool")
        params = ask.params(name, item.arguments or "", metadata={"tool_call_id": item.call_id, "tool": name})
        if blocking:
            pause = await asyncio.to_thread(lambda: client.pauses.create(**params))
            decided = await asyncio.to_thread(pause.wait, ask.timeout)
        else:
            pause = await client.pauses.create(**params)
            decided = await pause.wait(timeout=ask.timeout)
        if ask.approved(decided):
            state.approve(item)
        else:
            state.reject(item, rejection_message=ask.reason(decided))

    await asyncio.gather(*(decide(i) for i in result.interruptions))
    return state


async def run_with_approvals(
    agent: Any,
    input: Any,
    *,
    recipient: str,
    client: Any = None,
    max_rounds: int = 10,
    run_kwargs: Optional[dict] = None,
    **ask: Any,
) -> Any:
    """`Runner.run` that resolves approval interruptions through PausePoint until the
    run finishes (at most `max_rounds` rounds of approvals)."""
    from agents import Runner

    result = await Runner.run(agent, input, **(run_kwargs or {}))
    for _ in range(max_rounds):
        if not result.interruptions:
            return result
        state = await resolve_interruptions(result, recipient=recipient, client=client, **ask)
        result = await Runner.run(agent, state, **(run_kwargs or {}))
    raise RuntimeError(f"still interrupted after {max_rounds} rounds of approvals")
