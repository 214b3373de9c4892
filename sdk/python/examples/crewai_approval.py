"""CrewAI: `wire_money` runs only if a person approves it on their phone; the agent can
also ask a person a question with `ask_human`. `llm` is any CrewAI LLM (the test passes
a scripted one)."""

from crewai import Agent, Crew, Task
from crewai.hooks import register_before_tool_call_hook, unregister_before_tool_call_hook
from crewai.tools import tool

from pausepoint.integrations.crewai import approval_hook, ask_human_tool

RECIPIENT = "+13128471928"
WIRED = []


@tool("wire_money")
def wire_money(amount: int, to: str) -> str:
    """Wire `amount` dollars to the payee `to`."""
    WIRED.append((amount, to))
    return f"Wired ${amount} to {to}."


def run(llm, request="Pay Meridian's invoice: $8400.", client=None):
    hook = approval_hook(recipient=RECIPIENT, tools=["wire_money"], client=client, timeout=3600)
    register_before_tool_call_hook(hook)
    try:
        agent = Agent(role="Payments clerk", goal="Pay invoices", backstory="Careful with money.", llm=llm,
                      tools=[wire_money, ask_human_tool(recipient=RECIPIENT, client=client, timeout=3600)])
        task = Task(description=request, expected_output="What was paid", agent=agent)
        return Crew(agents=[agent], tasks=[task]).kickoff().raw
    finally:
        unregister_before_tool_call_hook(hook)
