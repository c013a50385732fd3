"""Benchmarks (`make bench`): scripts that print one table of figures against their targets.

Each module measures one thing and returns `report.Row`s: `quality` (retrieval on the shared datasets),
`throughput` (re-embedding through Celery against the bare model), `latency` (hybrid, filtered search at 100k
chunks) and `edit` (chunks re-embedded after a one-paragraph edit). `cli` prepares the benchmark database
and prints the table. Like the product, the benchmarks reach `knowledge` only through `knowledge.api` and
`knowledge.contracts`, whose bulk and indexing functions exist for them.
"""
