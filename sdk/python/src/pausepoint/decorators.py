"""`@require_approval`: a function that runs only when a person approves the call."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, Sequence, TypeVar

from ._errors import ApprovalDenied

F = TypeVar("F", bound=Callable[..., Any])

_CONTEXT_LIMIT = 1000  # the API's limit on `context`


def describe_call(fn: Callable[..., Any], args: Sequence[Any], kwargs: dict) -> str:
    """`transfer(amount=8400, to='Meridian')`, cut to the API's context limit."""
    import inspect

    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        bound.apply_defaults()
        parts = [f"{k}={v!r}" for k, v in bound.arguments.items()]
    except (TypeError, ValueError):
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    text = f"{getattr(fn, '__name__', 'call')}({', '.join(parts)})"
    return text if len(text) <= _CONTEXT_LIMIT else text[: _CONTEXT_LIMIT - 1] + "…"


def _message(template: Optional[str], fn: Callable[..., Any], args: Sequence[Any], kwargs: dict) -> str:
    import inspect

    if template is None:
        return f"Allow {getattr(fn, '__name__', 'this call')}?"
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        bound.apply_defaults()
        return template.format(**bound.arguments)
    except (KeyError, IndexError, TypeError, ValueError):
        return template


def require_approval(
    *,
    recipient: str,
    message: Optional[str] = None,
    options: Sequence[str] = ("Approve", "Reject"),
    approve: Optional[Sequence[str]] = None,
    timeout: Optional[float] = None,
    client: Any = None,
    **create: Any,
) -> Callable[[F], F]:
    """Wraps a function (sync or async) so that each call first asks `recipient`
    through PausePoint and runs only if they choose an approving option (`approve`,
    default: the first option). The arguments are shown to them as the pause's
    `context`; `message` may name them (`"Wire ${amount} to {to}?"`). Otherwise the
    call raises `ApprovalDenied` carrying the pause. `timeout` bounds the wait (seconds);
    other keywords (`channel`, `timeout_seconds`, `timeout_default`, ...) go to create.
    """
    approving = tuple(approve) if approve is not None else (options[0],)

    def params(fn: Callable[..., Any], args: Sequence[Any], kwargs: dict) -> dict:
        p = dict(create)
        p.setdefault("context", describe_call(fn, args, kwargs))
        return dict(recipient=recipient, message=_message(message, fn, args, kwargs), options=list(options), **p)

    def decide(pause: Any) -> None:
        if pause.choice not in approving:
            raise ApprovalDenied(
                f"Not approved: {pause.choice or pause.status} ({pause.pause_id}).", pause
            )

    def wrap(fn: F) -> F:
        import inspect

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                import asyncio

                from ._client import AsyncPausePoint, PausePoint

                c = client if client is not None else AsyncPausePoint()
                if isinstance(c, PausePoint):  # a blocking client: keep it off the event loop
                    pause = await asyncio.to_thread(c.pauses.create, **params(fn, args, kwargs))
                    decide(await asyncio.to_thread(pause.wait, timeout))
                else:
                    pause = await c.pauses.create(**params(fn, args, kwargs))
                    decide(await pause.wait(timeout=timeout))
                return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from ._client import PausePoint

            c = client if client is not None else PausePoint()
            pause = c.pauses.create(**params(fn, args, kwargs))
            decide(pause.wait(timeout=timeout))
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return wrap
