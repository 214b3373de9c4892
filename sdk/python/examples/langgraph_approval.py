"""LangGraph: a tool asks a person through PausePoint and interrupts the graph with the
pause id; the `pause.responded` webhook resumes the thread with Command(resume=choice).
`simple_graph()` shows the blocking variant (no checkpointer)."""

import os
from typing import TypedDict

from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from pausepoint.integrations.langgraph import ask_human, command_from_webhook, wait_for_human

RECIPIENT = "+13128471928"
DELETED = []


def webhook_url():
    """Where PausePoint sends the answer: your app's endpoint that calls `on_webhook`."""
    return os.environ.get("APP_WEBHOOK_URL")


@tool
def delete_table(table: str) -> str:
    """Delete a database table (a person must approve)."""
    choice = ask_human(recipient=RECIPIENT, message=f"Delete the table {table}?", options=["Delete", "Keep"],
                       webhook_url=webhook_url())
    if choice != "Delete":
        return f"Not deleted: the person chose {choice}."
    DELETED.append(table)
    return f"Deleted {table}."


def durable_graph(model):
    """`model` is any chat model bound to the tools (the test uses a scripted fake)."""

    def agent(state: MessagesState):
        return {"messages": [model.invoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_node("tools", ToolNode([delete_table]))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition)
    g.add_edge("tools", "agent")
    return g.compile(checkpointer=InMemorySaver())


def on_webhook(graph, body: bytes, headers, secret: str):
    """The webhook handler: verify, then resume the thread the pause belongs to."""
    thread_id, command = command_from_webhook(body, headers, secret)
    return graph.invoke(command, {"configurable": {"thread_id": thread_id}})


def simple_graph(client=None):
    """Blocking variant: the node waits for the answer."""

    def approve(state: dict):
        choice = wait_for_human(recipient=RECIPIENT, message=f"Ship release {state['release']}?",
                                options=["Ship", "Hold"], timeout=3600, client=client)
        return {"decision": choice}

    class S(TypedDict, total=False):
        release: str
        decision: str

    g = StateGraph(S)
    g.add_node("approve", approve)
    g.add_edge(START, "approve")
    g.add_edge("approve", END)
    return g.compile()
