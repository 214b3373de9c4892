import json
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def openapi():
    return json.loads((ROOT / "static" / "openapi.json").read_text())


def live():
    """The real service, started by tests/e2e/sdk_python.test.mjs (wrangler dev)."""
    if not os.environ.get("PAUSEPOINT_BASE_URL") or not os.environ.get("PAUSEPOINT_API_KEY"):
        pytest.fail("PAUSEPOINT_BASE_URL and PAUSEPOINT_API_KEY must be set: run through tests/e2e/sdk_python.test.mjs")
    return os.environ["PAUSEPOINT_BASE_URL"], os.environ["PAUSEPOINT_API_KEY"]
