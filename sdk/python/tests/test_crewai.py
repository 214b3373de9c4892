"""CrewAI with a scripted LLM (no model, no network): the approval hook and the
ask_human tool, answered on the real service's response page. Runs in .venv-crewai
(tests/e2e/sdk_python.test.mjs), apart from the other tests: CrewAI pins other
versions of the MCP SDK and openai than .venv-sdk."""

import os
import sys

from conftest import ROOT, answer_when_asked

os.environ.update(CREWAI_DISABLE_TELEMETRY="true", OTEL_SDK_DISABLED="true", CREWAI_TRACING_ENABLED="false")
sys.path.insert(0, str(ROOT / "sdk" / "python" / "examples"))

from crewai.llms.base_llm import BaseLLM  # noqa: E402


class ScriptedLLM(BaseLLM):
    """Answers each call with the next scripted text (CrewAI's ReAct format)."""

    steps: list = []
    seen: list = []

    def call(self, messages, tools=None, callbacks=None, available_functions=None, from_task=None,
             from_agent=None, response_model=None, **kw):
        self.seen.append(messages)
        return self.steps.pop(0)

    def supports_function_calling(self):
        return False


WIRE = 'Thought: I should pay.\nAction: wire_money\nAction Input: {"amount": 8400, "to": "Meridian"}'


def test_crewai_hook_approves_then_blocks(client):
    import crewai_approval as ex

    ex.WIRED.clear()
    llm = ScriptedLLM(model="scripted", steps=[WIRE, "Thought: done\nFinal Answer: Paid Meridian."])
    t, found = answer_when_asked(client, "Allow wire_money?", 0)
    assert ex.run(llm, client=client) == "Paid Meridian."
    t.join()
    assert ex.WIRED == [(8400, "Meridian")]
    assert found["pause"].context == 'wire_money({"amount": 8400, "to": "Meridian"})'

    llm = ScriptedLLM(model="scripted", steps=[WIRE, "Thought: blocked\nFinal Answer: Not paid."])
    t, _ = answer_when_asked(client, "Allow wire_money?", 1)
    assert ex.run(llm, client=client) == "Not paid."
    t.join()
    assert ex.WIRED == [(8400, "Meridian")], "the rejected call did not run"
    assert "blocked" in str(llm.seen[-1])


def test_crewai_ask_human_tool(client):
    import crewai_approval as ex

    llm = ScriptedLLM(model="scripted", steps=[
        'Thought: ask.\nAction: ask_human\nAction Input: {"question": "Pay by wire or card?", "options": ["Wire", "Card"]}',
        "Thought: they said card\nFinal Answer: Card it is.",
    ])
    t, found = answer_when_asked(client, "Pay by wire or card?", 1)
    assert ex.run(llm, request="Ask how to pay.", client=client) == "Card it is."
    t.join()
    assert found["pause"].options == ["Wire", "Card"]
    assert "The person answered: Card" in str(llm.seen[-1])
