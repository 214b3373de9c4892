"""`pausepoint-mcp` (also `python -m pausepoint.mcp`): a stdio MCP server for clients
that launch a command. It defines no tools itself: every JSON-RPC message read from
stdin is POSTed to the service's `/mcp` endpoint (Streamable HTTP, JSON answers) and
the answer written to stdout, one message per line. Configure it with
`PAUSEPOINT_API_KEY` (and `PAUSEPOINT_BASE_URL`) in the client's `env`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, Optional

import httpx

from ._client import DEFAULT_BASE_URL
from ._version import __version__

PARSE_ERROR = -32700
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000  # the service refused the HTTP request itself (key, rate limit, ...)


def _rpc_error(msg_id: Any, code: int, message: str, data: Any = None) -> dict:
    err: dict = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": msg_id, "error": err}


class Bridge:
    """Forwards JSON-RPC messages to `{base_url}/mcp`. Requests run concurrently (a
    `poll_pause_request` may hold for up to 55 s), so answers can come out of order,
    as JSON-RPC allows; stdout writes are serialised."""

    def __init__(self, base_url: str, api_key: str, http: Optional[httpx.Client] = None) -> None:
        self.url = base_url.rstrip("/") + "/mcp"
        self.api_key = api_key
        self.http = http or httpx.Client(timeout=httpx.Timeout(90.0, connect=10.0))
        self.protocol_version: Optional[str] = None

    def handle(self, line: bytes) -> Optional[dict]:
        """The answer to one message (None for notifications and responses)."""
        try:
            msg = json.loads(line)
        except ValueError:
            return _rpc_error(None, PARSE_ERROR, "Parse error: the line is not JSON.")
        msg_id = msg.get("id") if isinstance(msg, dict) else None
        expects_answer = isinstance(msg, dict) and "method" in msg and "id" in msg
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "User-Agent": f"pausepoint-mcp/{__version__}",
        }
        if self.protocol_version:
            headers["MCP-Protocol-Version"] = self.protocol_version
        try:
            resp = self.http.post(self.url, content=line, headers=headers)
        except httpx.HTTPError as e:
            if not expects_answer:
                return None
            return _rpc_error(msg_id, INTERNAL_ERROR, f"Could not reach PausePoint at {self.url}: {e}")
        if resp.status_code == 202 or not resp.content:
            return None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("jsonrpc") == "2.0":
            if msg.get("method") == "initialize" and isinstance(body.get("result"), dict):
                self.protocol_version = body["result"].get("protocolVersion") or self.protocol_version
            return body
        if not expects_answer:
            return None
        # A refusal before the MCP layer (bad key, rate limit): the REST error envelope.
        env = body.get("error") if isinstance(body, dict) else None
        message = env.get("message") if isinstance(env, dict) else f"HTTP {resp.status_code} from {self.url}"
        return _rpc_error(msg_id, SERVER_ERROR, str(message), {"status": resp.status_code, **({"error": env} if env else {})})

    def serve(self, stdin: BinaryIO, stdout: BinaryIO) -> None:
        lock = threading.Lock()

        def run(line: bytes) -> None:
            answer = self.handle(line)
            if answer is not None:
                data = json.dumps(answer, separators=(",", ":")).encode() + b"\n"
                with lock:
                    stdout.write(data)
                    stdout.flush()

        with ThreadPoolExecutor(max_workers=16) as pool:
            for line in stdin:
                if line.strip():
                    # `initialize` first, alone: later requests carry its negotiated version.
                    if b'"initialize"' in line and self.protocol_version is None:
                        run(line)
                    else:
                        pool.submit(run, line)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="pausepoint-mcp", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("PAUSEPOINT_BASE_URL") or DEFAULT_BASE_URL)
    parser.add_argument("--version", action="version", version=__version__)
    args = parser.parse_args(argv)
    key = os.environ.get("PAUSEPOINT_API_KEY")
    if not key:
        print("pausepoint-mcp: set PAUSEPOINT_API_KEY (in the MCP client's `env`).", file=sys.stderr)
        return 2
    Bridge(args.base_url, key).serve(sys.stdin.buffer, sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
