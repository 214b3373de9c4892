"""Framework hooks. Each module imports its framework only when used; install the
matching extra (`pip install "pausepoint[openai-agents]"`, `[langgraph]`, `[crewai]`)."""
