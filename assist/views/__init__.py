"""The agent console over the API, one module per concern: `search` (knowledge search for hit testing),
`drafts` (ask for a draft, read, send and judge it, the generation audit, and a draft asked for by a
ticketing tool's own ticket id), `streams` (a draft as server-sent events) and `precedents` (similar solved
tickets). `access` holds what they share: the scope and the caller's tickets and drafts."""
