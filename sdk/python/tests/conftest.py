"""Fixtures for the SDK's tests. The live ones need the real service, started by
tests/e2e/sdk_python.test.mjs (`wrangler dev` on 127.0.0.1) with the key in the env."""

import http.server
import json
import os
import pathlib
import socket
import threading
import time

import httpx
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def openapi():
    return json.loads((ROOT / "static" / "openapi.json").read_text())


@pytest.fixture(scope="session")
def env():
    need = ("PAUSEPOINT_BASE_URL", "PAUSEPOINT_API_KEY", "PAUSEPOINT_TEST_API_KEY", "PAUSEPOINT_WEBHOOK_SECRET")
    missing = [k for k in need if not os.environ.get(k)]
    if missing:
        pytest.fail(f"{missing} unset: the live tests run through tests/e2e/sdk_python.test.mjs")
    return {k: os.environ[k] for k in need}


@pytest.fixture
def client(env):
    from pausepoint import PausePoint

    with PausePoint(env["PAUSEPOINT_API_KEY"], base_url=env["PAUSEPOINT_BASE_URL"]) as c:
        yield c


def seed(**over):
    body = dict(recipient="+1 (312) 847-1928", message="Wire $8,400 to Meridian?",
                options=["Approve", "Reject"], timeout_hours=4, timeout_default="Reject")
    body.update(over)
    return body


def link_for(pause_id):
    base = os.environ["PAUSEPOINT_BASE_URL"]
    for _ in range(100):
        r = httpx.get(f"{base}/dev/outbox", params={"pause_id": pause_id})
        data = r.json().get("data") or []
        if data:
            return data[0]["link"]
        time.sleep(0.1)
    raise AssertionError(f"no outbox message for {pause_id}")


def answer(pause_id, index):
    """Taps option `index` on the response page, as the person would."""
    r = httpx.post(link_for(pause_id), data={"choice": str(index)})
    assert r.status_code == 200, r.text[:300]


def answer_later(pause_id, index, delay=1.0):
    def run():
        time.sleep(delay)
        answer(pause_id, index)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a dropped connection is the point of some tests


class FaultProxy:
    """A 127.0.0.1 proxy in front of the service. `faults` is consumed one per request:
    `(status, retry_after)` answers that status with `Retry-After` instead of forwarding,
    `"drop"` closes the connection without an answer; the rest is forwarded. `seen`
    records (time, method, path, idempotency key) of every request."""

    def __init__(self, upstream):
        self.upstream = upstream.rstrip("/")
        self.faults = []
        self.seen = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                proxy.seen.append((time.monotonic(), self.command, self.path, self.headers.get("idempotency-key")))
                fault = proxy.faults.pop(0) if proxy.faults else None
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault is not None:
                    status, after = fault
                    payload = json.dumps({"error": {"type": "api_error", "code": "injected", "message": "injected by the test proxy",
                                                    "param": None, "request_id": "req_proxy"}}).encode()
                    self.send_response(status)
                    if after is not None:
                        self.send_header("Retry-After", str(after))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
                r = httpx.request(self.command, proxy.upstream + self.path, headers=headers, content=body, timeout=120)
                self.send_response(r.status_code)
                for k, v in r.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            do_GET = do_POST = do_DELETE = _any

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(env):
    p = FaultProxy(env["PAUSEPOINT_BASE_URL"])
    yield p
    p.close()


class Receiver:
    """A 127.0.0.1 webhook endpoint: keeps each request's raw body and headers."""

    def __init__(self):
        self.got = []
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("content-length") or 0)
                rec.got.append((self.rfile.read(n), dict(self.headers.items())))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, n=1, timeout=20.0):
        deadline = time.monotonic() + timeout
        while len(self.got) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.got) >= n, f"the receiver got {len(self.got)} webhooks, expected {n}"
        return self.got

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def answer_when_asked(client, message, index, timeout=20.0):
    """In the background: waits for a new pending pause with `message` (not one pending
    already), then taps `index`."""
    found = {}
    old = {p.pause_id for p in client.pauses.list(status="pending", limit=100).data}

    def run():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in client.pauses.list(status="pending", limit=20).data:
                if p.message == message and p.pause_id not in old:
                    found["pause"] = p
                    answer(p.pause_id, index)
                    return
            time.sleep(0.1)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, found
