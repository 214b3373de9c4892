"""`PausePoint` and `AsyncPausePoint`: configuration, the retry policy, and the
long-poll behind `pause.wait()`. The operations themselves are in `_resources`."""

from __future__ import annotations

import json as _json
import os
import random
import time
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from ._errors import (
    APIConnectionError,
    InternalServerError,
    PausePointError,
    RateLimitError,
    WaitTimeout,
    error_from_response,
)
from ._resources import (
    AccountResource,
    Audit,
    Keys,
    Pauses,
    Receipts,
    TestMode,
    Webhooks,
    _pause,
    _Req,
    _seg,
    format_wait,
)
from ._types import Pause
from ._version import __version__

if TYPE_CHECKING:
    import httpx


def _httpx() -> Any:
    """httpx, imported on first use: `import pausepoint` stays fast, and
    `pausepoint.webhooks` never needs it."""
    import httpx

    return httpx

DEFAULT_BASE_URL = "http://127.0.0.1:8787"  # `make dev`
RETRY_STATUSES = (429, 500, 502, 503, 504)
LONG_POLL_SECONDS = 50.0  # the API holds up to 55 s; stay under proxies' idle limits


def _retry_after(headers: Mapping[str, str]) -> Optional[float]:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # only for the rare HTTP-date form

    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


class _Base:
    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        max_retries: int = 3,
        timeout: float = 30.0,
        max_retry_after: float = 60.0,
    ) -> None:
        api_key = api_key or os.environ.get("PAUSEPOINT_API_KEY")
        if not api_key:
            raise PausePointError(
                "No API key: pass api_key=... or set PAUSEPOINT_API_KEY (make dev writes one to .wrangler/dev-api-key)."
            )
        self.api_key = api_key
        self.base_url = (base_url or os.environ.get("PAUSEPOINT_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.max_retries = max_retries
        self.timeout = timeout
        self.max_retry_after = max_retry_after
        self.pauses = Pauses(self)
        self.account = AccountResource(self)
        self.keys = Keys(self)
        self.webhooks = Webhooks(self)
        self.audit = Audit(self)
        self.test = TestMode(self)
        self.receipts = Receipts(self)

    def _headers(self, req: _Req) -> Dict[str, str]:
        h = {
            "Authorization": f"Bearer {self.api_key}",
            "User-Agent": f"pausepoint-python/{__version__}",
            "Accept": "application/json",
        }
        h.update(req.headers)
        return h

    def _body(self, req: _Req) -> Optional[bytes]:
        if req.json is None and req.method != "POST":
            return None
        return _json.dumps(req.json if req.json is not None else {}).encode()

    def _delay(self, attempt: int, headers: Optional[Mapping[str, str]]) -> Optional[float]:
        """Seconds before retry `attempt` (1-based): `Retry-After` when given (None if it
        asks for longer than `max_retry_after`), else exponential back-off with jitter."""
        after = _retry_after(headers) if headers is not None else None
        if after is not None:
            return after if after <= self.max_retry_after else None
        return min(8.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.75, 1.0)

    def _retryable(self, req: _Req, status: Optional[int], exc: Optional[Exception]) -> bool:
        if exc is not None:
            # Not connected: nothing was sent. Otherwise only an idempotent request may go again.
            hx = _httpx()
            return isinstance(exc, (hx.ConnectError, hx.ConnectTimeout)) or req.idempotent
        if status == 429:
            return True  # refused before it ran
        return status in RETRY_STATUSES and req.idempotent

    def _result(self, req: _Req, resp: "httpx.Response") -> Any:
        headers = {k.lower(): v for k, v in resp.headers.items()}
        if resp.status_code >= 400:
            try:
                body: Any = resp.json()
            except ValueError:
                body = resp.text
            raise error_from_response(resp.status_code, body, headers)
        if req.text:
            return req.parse(self, resp.text, headers)
        try:
            body = resp.json() if resp.content else None
        except ValueError as e:
            raise PausePointError(
                f"The service answered {resp.status_code} with a body that is not JSON.",
                status=resp.status_code,
                request_id=headers.get("request-id"),
            ) from e
        return req.parse(self, body, headers)

    def _timeout(self, req: _Req) -> "httpx.Timeout":
        return _httpx().Timeout(req.timeout or self.timeout, connect=10.0)

    def _wait_req(self, pause_id: str, wait: float) -> _Req:
        return _Req(
            "GET",
            f"/v1/pause/{_seg(pause_id)}",
            _pause,
            params={"wait": format_wait(wait)},
            timeout=wait + 15.0,
            retries=0,
        )

    @staticmethod
    def _transient(e: PausePointError) -> bool:
        return isinstance(e, (APIConnectionError, InternalServerError, RateLimitError))

    def _resume_delay(self, failures: int, e: PausePointError) -> float:
        """Before the next long-poll after a failure: the whole `Retry-After` of a 429
        (the deadline still bounds it), else back-off."""
        after = _retry_after(e.headers) if isinstance(e, RateLimitError) else None
        return after if after is not None else (self._delay(failures, None) or 1.0)

    @staticmethod
    def _answered_early(asked: float, took: float) -> bool:
        """A pending pause returned well before the wait asked for: something between us
        and the service does not hold long-polls. Back off rather than spin."""
        return asked >= 1.0 and took < asked / 2


class PausePoint(_Base):
    """The blocking client.

    >>> client = PausePoint()                      # PAUSEPOINT_API_KEY from the environment
    >>> pause = client.pauses.create(recipient="+13128471928", message="Deploy?", options=["Approve", "Reject"])
    >>> pause.wait(timeout=3600).choice
    """

    def __init__(self, api_key: Optional[str] = None, *, http_client: "Optional[httpx.Client]" = None, **kw: Any):
        super().__init__(api_key, **kw)
        self._http = http_client or _httpx().Client()

    def _call(self, req: _Req) -> Any:
        hx = _httpx()
        retries = self.max_retries if req.retries is None else req.retries
        attempt = 0
        while True:
            attempt += 1
            body = self._body(req)
            try:
                resp = self._http.request(
                    req.method,
                    self.base_url + req.path,
                    params=req.params,
                    content=body,
                    headers={**self._headers(req), **({"Content-Type": "application/json"} if body is not None else {})},
                    timeout=self._timeout(req),
                )
            except hx.TransportError as e:
                delay = self._delay(attempt, None)
                if attempt > retries or not self._retryable(req, None, e) or delay is None:
                    raise APIConnectionError(f"Could not reach PausePoint at {self.base_url}: {e}") from e
                time.sleep(delay)
                continue
            if resp.status_code in RETRY_STATUSES and attempt <= retries and self._retryable(req, resp.status_code, None):
                delay = self._delay(attempt, {k.lower(): v for k, v in resp.headers.items()})
                if delay is not None:
                    resp.close()
                    time.sleep(delay)
                    continue
            return self._result(req, resp)

    def _wait(self, pause_id: str, timeout: Optional[float]) -> Pause:
        deadline = None if timeout is None else time.monotonic() + timeout
        failures = spins = 0
        last: Optional[Pause] = None
        while True:
            left = LONG_POLL_SECONDS if deadline is None else deadline - time.monotonic()
            wait = max(0.0, min(LONG_POLL_SECONDS, left))
            started = time.monotonic()
            try:
                last = self._call(self._wait_req(pause_id, wait))
                failures = 0
            except PausePointError as e:
                if not self._transient(e):
                    raise
                failures += 1  # the network or the service failed: resume the wait
                delay = self._resume_delay(failures, e)
                if deadline is not None and time.monotonic() + delay >= deadline:
                    raise WaitTimeout(f"{pause_id} was not decided within {timeout} s (last error: {e})", last) from e
                time.sleep(delay)
                continue
            if last.is_final:
                return last
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"{pause_id} was not decided within {timeout} s", last)
            spins = spins + 1 if self._answered_early(wait, time.monotonic() - started) else 0
            if spins:
                time.sleep(self._delay(spins, None) or 1.0)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "PausePoint":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncPausePoint(_Base):
    """The asyncio client: the same methods, awaited (`await pause.wait()`)."""

    def __init__(
        self, api_key: Optional[str] = None, *, http_client: "Optional[httpx.AsyncClient]" = None, **kw: Any
    ):
        super().__init__(api_key, **kw)
        self._http = http_client or _httpx().AsyncClient()

    async def _call(self, req: _Req) -> Any:
        import asyncio

        hx = _httpx()
        retries = self.max_retries if req.retries is None else req.retries
        attempt = 0
        while True:
            attempt += 1
            body = self._body(req)
            try:
                resp = await self._http.request(
                    req.method,
                    self.base_url + req.path,
                    params=req.params,
                    content=body,
                    headers={**self._headers(req), **({"Content-Type": "application/json"} if body is not None else {})},
                    timeout=self._timeout(req),
                )
            except hx.TransportError as e:
                delay = self._delay(attempt, None)
                if attempt > retries or not self._retryable(req, None, e) or delay is None:
                    raise APIConnectionError(f"Could not reach PausePoint at {self.base_url}: {e}") from e
                await asyncio.sleep(delay)
                continue
            if resp.status_code in RETRY_STATUSES and attempt <= retries and self._retryable(req, resp.status_code, None):
                delay = self._delay(attempt, {k.lower(): v for k, v in resp.headers.items()})
                if delay is not None:
                    await resp.aclose()
                    await asyncio.sleep(delay)
                    continue
            return self._result(req, resp)

    async def _wait(self, pause_id: str, timeout: Optional[float]) -> Pause:
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        failures = spins = 0
        last: Optional[Pause] = None
        while True:
            left = LONG_POLL_SECONDS if deadline is None else deadline - loop.time()
            wait = max(0.0, min(LONG_POLL_SECONDS, left))
            started = loop.time()
            try:
                last = await self._call(self._wait_req(pause_id, wait))
                failures = 0
            except PausePointError as e:
                if not self._transient(e):
                    raise
                failures += 1
                delay = self._resume_delay(failures, e)
                if deadline is not None and loop.time() + delay >= deadline:
                    raise WaitTimeout(f"{pause_id} was not decided within {timeout} s (last error: {e})", last) from e
                await asyncio.sleep(delay)
                continue
            if last.is_final:
                return last
            if deadline is not None and loop.time() >= deadline:
                raise WaitTimeout(f"{pause_id} was not decided within {timeout} s", last)
            spins = spins + 1 if self._answered_early(wait, loop.time() - started) else 0
            if spins:
                await asyncio.sleep(self._delay(spins, None) or 1.0)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncPausePoint":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
