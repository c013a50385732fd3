"""Benchmarks (`make bench`): scripts that print one table of figures against their targets.

Each module measures one thing and returns `report.Row`s: `quality` (retrieval on the shared datasets),
`throughput` (re-embedding through Celery against the bare model), `latency` (hybrid, filtered search at 100k
chunks) and `edit` (chunks re-embedded after a one-paragraph edit). `cli` prepares the benchmark database
and prints the table. Unlike product code, the benchmarks reach into `knowledge`'s services, selectors and
models directly: what they measure is those internals.
"""
