"""The agent workflow: retrieval for tickets, and later drafts, feedback and sending."""
