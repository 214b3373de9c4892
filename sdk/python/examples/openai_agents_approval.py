"""OpenAI Agents SDK: `wire_money` needs approval; a person approves or rejects it
from their phone through PausePoint, and the run resumes from its RunState.

    PAUSEPOINT_API_KEY=... OPENAI_API_KEY=... python openai_agents_approval.py
"""

import asyncio
import sys

from agents import Agent, function_tool

from pausepoint.integrations.openai_agents import run_with_approvals

WIRED = []


@function_tool(needs_approval=True)
def wire_money(amount: int, to: str) -> str:
    """Wire `amount` dollars to the payee `to`."""
    WIRED.append((amount, to))
    return f"Wired ${amount} to {to}."


def build_agent(model="gpt-5-mini"):
    return Agent(name="Payments", instructions="Pay what the user asks.", model=model, tools=[wire_money])


async def main(model="gpt-5-mini", recipient="+13128471928", client=None):
    result = await run_with_approvals(
        build_agent(model), "Pay Meridian's invoice: $8400.", recipient=recipient,
        message="The agent wants to run {tool}. Allow it?", client=client, timeout=3600,
    )
    return result.final_output


if __name__ == "__main__":
    print(asyncio.run(main(*sys.argv[1:2])))
