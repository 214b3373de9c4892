"""Every operation of openapi.json has a method in both clients, and that method sends
the operation's HTTP method to its path (checked on the wire with a mock transport)."""

import asyncio
import inspect
import re

import httpx
import pausepoint
from pausepoint import AsyncPausePoint, PausePoint

SAMPLES = {
    "pause_id": "pause_0123456789abcdef01234567",
    "key_id": "key_1",
    "event_id": "msg_1",
    "recipient": "+13128471928",
    "message": "Deploy?",
    "options": ["Approve", "Reject"],
}


def _ops(openapi):
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                yield op["operationId"], method.upper(), path


def _resolve(client, dotted):
    obj = client
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _args(fn):
    args, kwargs = [], {}
    for p in inspect.signature(fn).parameters.values():
        if p.default is not inspect.Parameter.empty or p.kind is p.VAR_KEYWORD:
            continue
        (args.append if p.kind is p.POSITIONAL_OR_KEYWORD else kwargs.__setitem__)(
            *([SAMPLES[p.name]] if p.kind is p.POSITIONAL_OR_KEYWORD else [p.name, SAMPLES[p.name]])
        )
    return args, kwargs


def _matches(template, path):
    return re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) is not None


def test_version_follows_the_api(openapi):
    assert pausepoint.__version__ == openapi["info"]["version"]


def test_every_operation_has_a_method_in_both_clients(openapi):
    ops = list(_ops(openapi))
    assert len(ops) >= 16
    missing = [op for op, _, _ in ops if op not in pausepoint.OPERATIONS]
    assert not missing, f"operations without a Python method: {missing}"
    stale = set(pausepoint.OPERATIONS) - {op for op, _, _ in ops}
    assert not stale, f"methods for operations openapi.json no longer has: {stale}"

    for cls in (PausePoint, AsyncPausePoint):
        seen = []
        handler = lambda req: (seen.append(req), httpx.Response(200, json={}))[1]
        if cls is PausePoint:
            client = cls("pp_test_x", base_url="http://127.0.0.1:9", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
        else:
            client = cls("pp_test_x", base_url="http://127.0.0.1:9", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        for op, method, path in ops:
            fn = _resolve(client, pausepoint.OPERATIONS[op])
            args, kwargs = _args(fn)
            seen.clear()
            result = fn(*args, **kwargs)
            if cls is AsyncPausePoint:
                assert inspect.iscoroutine(result), op
                asyncio.run(result)
            assert len(seen) == 1, op
            assert seen[0].method == method, (op, seen[0].method, method)
            assert _matches(path, seen[0].url.path), (op, seen[0].url.path, path)
            assert seen[0].headers["authorization"] == "Bearer pp_test_x"
