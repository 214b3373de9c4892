"""CrewAI: a person decides from their phone.

- `approval_hook(...)`: a `before_tool_call` hook; the tools it names run only if the
  person approves (the call's input is shown to them), otherwise CrewAI blocks the call.

      from crewai.hooks import register_before_tool_call_hook
      register_before_tool_call_hook(approval_hook(recipient="+13128471928", tools=["wire_money"]))

- `ask_human_tool(...)`: a tool the agent calls to ask a person a question with options;
  it returns their answer.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from ._common import Ask


def _client(client: Any) -> Any:
    from .._client import PausePoint

    return client if client is not None else PausePoint()


def approval_hook(
    *,
    recipient: str,
    tools: Optional[Sequence[str]] = None,
    message: str = "Allow {tool}?",
    options: Sequence[str] = ("Approve", "Reject"),
    approve: Optional[Sequence[str]] = None,
    timeout: Optional[float] = None,
    client: Any = None,
    **create: Any,
) -> Any:
    """A `before_tool_call` hook asking `recipient` about each call of `tools` (all tools
    when None). Returns None (run) when they approve, False (block) otherwise."""
    ask = Ask(recipient, message, options, approve, timeout, create)
    decisions: List[Any] = []

    def hook(ctx: Any) -> Optional[bool]:
        if tools is not None and ctx.tool_name not in tools:
            return None
        c = _client(client)
        pause = c.pauses.create(**ask.params(ctx.tool_name, dict(ctx.tool_input or {}), metadata={"tool": ctx.tool_name}))
        decided = pause.wait(timeout=ask.timeout)
        decisions.append(decided)
        return None if ask.approved(decided) else False

    hook.decisions = decisions  # type: ignore[attr-defined]
    return hook


def ask_human_tool(*, recipient: str, timeout: Optional[float] = None, client: Any = None, **create: Any) -> Any:
    """A CrewAI tool `ask_human(question, options)` that asks `recipient` and returns
    their answer."""
    from crewai.tools import BaseTool
    from pydantic import BaseModel, Field

    class AskHumanInput(BaseModel):
        question: str = Field(..., description="The question for the person, in one sentence.")
        options: List[str] = Field(default_factory=lambda: ["Yes", "No"], description="2 to 10 short answers to choose from.")

    class AskHumanTool(BaseTool):
        name: str = "ask_human"
        description: str = "Ask a person a question on their phone and wait for their answer (one of the options)."
        args_schema: type = AskHumanInput

        def _run(self, question: str, options: Optional[List[str]] = None) -> str:
            pause = _client(client).pauses.create(
                recipient=recipient, message=question, options=list(options or ["Yes", "No"]), **create
            )
            decided = pause.wait(timeout=timeout)
            if decided.choice is None:
                return f"Nobody answered ({decided.status})."
            return f"The person answered: {decided.choice}"

    return AskHumanTool()
