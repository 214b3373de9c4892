"""`pausepoint-mcp` driven by the official MCP Python SDK's stdio client: the bridge
forwards to the real service's /mcp, so these are the service's own tools."""

import asyncio
import pathlib
import sys

from conftest import answer, seed
from mcp import Client, StdioServerParameters


def _params(env, command):
    e = {"PAUSEPOINT_API_KEY": env["PAUSEPOINT_API_KEY"], "PAUSEPOINT_BASE_URL": env["PAUSEPOINT_BASE_URL"]}
    return StdioServerParameters(command=command[0], args=command[1:], env=e)


async def _session(env, command, mode):
    async with Client(_params(env, command), mode=mode) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"create_pause_request", "poll_pause_request", "cancel_pause_request", "list_pause_requests"} <= tools

        made = await client.call_tool("create_pause_request", seed())
        assert not made.is_error, made
        pause_id = made.structured_content["pause_id"]
        assert made.structured_content["status"] == "pending"

        async def later():
            await asyncio.sleep(1.0)
            await asyncio.to_thread(answer, pause_id, 0)

        polled, _ = await asyncio.gather(
            client.call_tool("poll_pause_request", {"pause_id": pause_id, "wait_seconds": 30}), later()
        )
        assert polled.structured_content["status"] == "responded"
        assert polled.structured_content["response_choice"] == "Approve"

        refused = await client.call_tool("create_pause_request", seed(timeout_default="Maybe"))
        assert refused.is_error
        assert "timeout_default" in str(refused.structured_content or refused.content)


def test_console_script_with_the_official_stdio_client(env):
    script = pathlib.Path(sys.executable).with_name("pausepoint-mcp")
    assert script.exists(), f"{script} missing: pip install ./sdk/python installs the console script"
    asyncio.run(_session(env, [str(script)], "auto"))


def test_python_dash_m_in_legacy_mode(env):
    asyncio.run(_session(env, [sys.executable, "-m", "pausepoint.mcp"], "legacy"))


def test_a_bad_key_is_an_error_not_a_hang(env):
    async def main():
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "pausepoint.mcp"],
            env={"PAUSEPOINT_API_KEY": "pp_live_nope", "PAUSEPOINT_BASE_URL": env["PAUSEPOINT_BASE_URL"]},
        )
        try:
            async with Client(params, mode="legacy") as client:
                await client.list_tools()
        except Exception as e:  # the SDK's MCPError (inside its task groups' ExceptionGroup)
            assert "-32000" in repr(e) and "api key is not valid" in repr(e).lower(), repr(e)
            return
        raise AssertionError("a bad key was accepted")

    asyncio.run(asyncio.wait_for(main(), 30))
