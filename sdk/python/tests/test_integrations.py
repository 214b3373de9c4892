"""Framework hooks with the real framework packages and scripted fake models (no LLM,
no network): the person answers on the response page of the real service."""

import asyncio
import os
import sys

import pytest
from conftest import ROOT, answer, answer_when_asked

sys.path.insert(0, str(ROOT / "sdk" / "python" / "examples"))
os.environ["OPENAI_AGENTS_DISABLE_TRACING"] = "1"  # no trace export: nothing leaves 127.0.0.1


# --- OpenAI Agents SDK -------------------------------------------------------------


def _scripted(*steps):
    from agents.testing import ScriptedModel

    return ScriptedModel(list(steps))


def test_openai_agents_approve_resumes_the_run(env, client):
    import openai_agents_approval as ex
    from agents import set_tracing_disabled
    from agents.testing import assistant_message, function_call

    from pausepoint import AsyncPausePoint

    set_tracing_disabled(True)
    ex.WIRED.clear()
    model = _scripted(
        [function_call("wire_money", {"amount": 8400, "to": "Meridian"}, call_id="call_1")],
        [assistant_message("Paid.")],
    )
    t, found = answer_when_asked(client, "The agent wants to run wire_money. Allow it?", 0)

    async def run():
        async with AsyncPausePoint(env["PAUSEPOINT_API_KEY"], base_url=env["PAUSEPOINT_BASE_URL"]) as c:
            return await ex.main(model=model, client=c)

    assert asyncio.run(run()) == "Paid."
    t.join()
    assert ex.WIRED == [(8400, "Meridian")]
    assert found["pause"].context == 'wire_money({"amount":8400,"to":"Meridian"})'
    assert found["pause"].metadata == {"tool_call_id": "call_1", "tool": "wire_money"}


def test_openai_agents_reject_tells_the_model_why(env, client):
    import openai_agents_approval as ex

    ex.WIRED.clear()
    from agents.testing import assistant_message, function_call

    model = _scripted(
        [function_call("wire_money", {"amount": 99, "to": "Mallory"}, call_id="call_2")],
        [assistant_message("I did not pay.")],
    )
    t, found = answer_when_asked(client, "The agent wants to run wire_money. Allow it?", 1)
    # The blocking client works too (run in a thread, off the event loop).
    assert asyncio.run(ex.main(model=model, client=client)) == "I did not pay."
    t.join()
    assert ex.WIRED == []
    told = str(model.last_call.input)
    assert "not approved" in told and "Reject" in told and found["pause"].pause_id in told


# --- LangGraph ---------------------------------------------------------------------


def _fake_chat(*messages):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    return GenericFakeChatModel(messages=iter(messages))


def test_langgraph_interrupt_then_resume_from_the_webhook(env, client, receiver, monkeypatch):
    import langgraph_approval as ex
    from langchain_core.messages import AIMessage

    from pausepoint import WebhookVerificationError

    monkeypatch.setenv("APP_WEBHOOK_URL", receiver.url)
    ex.DELETED.clear()
    model = _fake_chat(
        AIMessage(content="", tool_calls=[{"name": "delete_table", "args": {"table": "orders"}, "id": "tc1"}]),
        AIMessage(content="The orders table is gone."),
    )
    graph = ex.durable_graph(model)
    out = graph.invoke({"messages": [("user", "Drop the orders table")]}, {"configurable": {"thread_id": "thread-42"}})
    (intr,) = out["__interrupt__"]
    pause_id = intr.value["pause_id"]
    assert intr.value["options"] == ["Delete", "Keep"] and ex.DELETED == []

    # The person answers; the service signs a webhook to the app, which resumes the thread.
    answer(pause_id, 0)
    body, headers = receiver.wait_for(1)[0]
    with pytest.raises(WebhookVerificationError):
        ex.on_webhook(graph, body.replace(b"Delete", b"Keep!!"), headers, env["PAUSEPOINT_WEBHOOK_SECRET"])
    final = ex.on_webhook(graph, body, headers, env["PAUSEPOINT_WEBHOOK_SECRET"])
    assert final["messages"][-1].content == "The orders table is gone."
    assert ex.DELETED == ["orders"]
    # The tool ran twice (interrupt, then resume) but asked once: one pause, one message.
    asked = [p for p in client.pauses.list(limit=50).data if p.message == "Delete the table orders?"]
    assert [p.pause_id for p in asked] == [pause_id]


def test_langgraph_reject_and_command_from_pause(env, client):
    import langgraph_approval as ex
    from langchain_core.messages import AIMessage

    from pausepoint.integrations.langgraph import command_from_pause

    ex.DELETED.clear()
    model = _fake_chat(
        AIMessage(content="", tool_calls=[{"name": "delete_table", "args": {"table": "users"}, "id": "tc2"}]),
        AIMessage(content="Kept it."),
    )
    graph = ex.durable_graph(model)
    out = graph.invoke({"messages": [("user", "Drop users")]}, {"configurable": {"thread_id": "thread-43"}})
    pause_id = out["__interrupt__"][0].value["pause_id"]
    answer(pause_id, 1)
    thread_id, command = command_from_pause(client.pauses.wait(pause_id, timeout=30))
    assert (thread_id, command.resume) == ("thread-43", "Keep")
    final = graph.invoke(command, {"configurable": {"thread_id": thread_id}})
    assert final["messages"][-1].content == "Kept it." and ex.DELETED == []
    assert "Not deleted: the person chose Keep." in str(final["messages"])


def test_langgraph_blocking_variant(env, client):
    import langgraph_approval as ex

    graph = ex.simple_graph(client=client)
    t, found = answer_when_asked(client, "Ship release 2.4?", 0)
    out = graph.invoke({"release": "2.4"})
    t.join()
    assert out["decision"] == "Ship" and found["pause"].options == ["Ship", "Hold"]


def test_langgraph_async_node_with_aask_human(env, client):
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph
    from typing_extensions import TypedDict

    from pausepoint import AsyncPausePoint
    from pausepoint.integrations.langgraph import aask_human, command_from_pause

    class S(TypedDict, total=False):
        decision: str

    async def main():
        async with AsyncPausePoint(env["PAUSEPOINT_API_KEY"], base_url=env["PAUSEPOINT_BASE_URL"]) as c:

            async def gate(state):
                return {"decision": await aask_human(recipient="+13128471928", message="Rotate the prod keys?", client=c)}

            g = StateGraph(S)
            g.add_node("gate", gate)
            g.add_edge(START, "gate")
            g.add_edge("gate", END)
            graph = g.compile(checkpointer=InMemorySaver())
            config = {"configurable": {"thread_id": "async-1"}}
            out = await graph.ainvoke({}, config)
            pause_id = out["__interrupt__"][0].value["pause_id"]
            await asyncio.to_thread(answer, pause_id, 0)
            thread_id, command = command_from_pause(await c.pauses.wait(pause_id, timeout=30))
            final = await graph.ainvoke(command, {"configurable": {"thread_id": thread_id}})
            assert final["decision"] == "Approve"
            asked = [p for p in (await c.pauses.list(limit=50)).data if p.message == "Rotate the prod keys?"]
            assert [p.pause_id for p in asked] == [pause_id]

    asyncio.run(main())
