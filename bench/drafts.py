"""Draft quality (issue 19): drafts made as the console makes them (`assist.drafting.draft_write`), scored
with `assist.evaluation`, the code of `manage.py eval_drafts`.

- On the demo company (the assist database, prepared as the `assist` benchmark prepares it, its solved
  tickets embedded for precedents as the workers' sweep keeps them, in a child process): the draft of every
  open, new or pending ticket now, how many answer and whether their citation markers all name retrieved
  passages; and `eval_drafts --tickets --since CUT`, the replies of the newest fifth of solved tickets
  against the drafts the console would have made just before them.
- On dstc11-track5 dev (`--input conversation`), in the benchmark database, in the evaluation collection the
  `quality` benchmark loads too: answered, token F1 and ROUGE-L against the human replies.

Each measure has a baseline row, the figure before the draft pipeline was improved, and a target relative to
it where the issue sets one, so the gain stays visible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assist import evaluation
from assist.precedents import precedents_embed
from knowledge import api as knowledge

from .child import rows_from_child
from .corpus import dataset_files
from .report import Row, Target, progress_bar, say

RECENT_SHARE = 0.2
"""The newest share of solved tickets whose replies are compared with drafts."""
DATASET = "dstc11-track5"

# The figures before the pipeline changes ("extractive composer, word overlap, no precedents"): the draft
# pipeline of commit ab66644, measured on e8f9da5 (ab66644 plus new, unused TicketContext and Suggestion
# fields) with this benchmark's code: `eval_drafts --tickets --since CUT --json` and `open_tickets_evaluate`
# on a freshly seeded demo company, and `eval_drafts --input conversation --json` on dstc11-track5 dev,
# whose whole line was {"n": 856, "answered": 0.5245, "chrf": 0.254, "rouge_l": 0.1106, "token_f1": 0.1269,
# "citation_precision": 0.4872, "grounded_rate": 1.0, ...}.
BASELINE = {
    "demo_answered": 0.7381,  # 31 of 42 open, new or pending demo tickets
    "demo_markers_resolved": 1.0,
    "recent_chrf": 0.3262,  # 192 replies
    "recent_token_f1": 0.2514,
    "dstc_answered": 0.5245,
    "dstc_token_f1": 0.1269,
    "dstc_rouge_l": 0.1106,
}

DEMO_ANSWERED = "drafts answered, demo open/new/pending tickets"
DEMO_MARKERS = "draft citations resolving to retrieved passages"
RECENT_CHRF = "drafts vs agent replies, demo newest 20% solved: chrF"
RECENT_F1 = "drafts vs agent replies, demo newest 20% solved: token F1"
DSTC_ANSWERED = f"drafts answered, {DATASET} dev conversations"
DSTC_F1 = f"drafts vs gold replies, {DATASET} dev: token F1"
DSTC_ROUGE = f"drafts vs gold replies, {DATASET} dev: ROUGE-L"
# (row, baseline key, unit, target or None)
MEASURES: tuple[tuple[str, str, str, Target | None], ...] = (
    (DEMO_ANSWERED, "demo_answered", "%", Target(">=", 0.97)),
    (DEMO_MARKERS, "demo_markers_resolved", "%", Target(">=", 1.0)),
    (RECENT_CHRF, "recent_chrf", "", Target(">=", round(BASELINE["recent_chrf"] + 0.15, 4))),
    (RECENT_F1, "recent_token_f1", "", Target(">=", round(BASELINE["recent_token_f1"] + 0.15, 4))),
    (DSTC_ANSWERED, "dstc_answered", "%", Target(">=", 0.95)),
    (DSTC_F1, "dstc_token_f1", "", Target(">=", round(BASELINE["dstc_token_f1"] * 1.3, 4))),
    (DSTC_ROUGE, "dstc_rouge_l", "", Target(">=", round(BASELINE["dstc_rouge_l"] * 1.3, 4))),
)
ROWS = tuple(name for row, _, _, _ in MEASURES for name in (f"{row} (baseline)", row))
_DEMO = (DEMO_ANSWERED, DEMO_MARKERS, RECENT_CHRF, RECENT_F1)


def run(datasets: Path) -> list[Row]:
    """The demo measures in a child process on the assist database, then dstc11-track5 here."""
    measured = {row.benchmark: row for row in rows_from_child("drafts")}
    files = dataset_files(datasets, DATASET)
    if files is None:
        say(f"drafts: no {DATASET} under {datasets}; skipped")
    else:
        measured |= {row.benchmark: row for row in _dataset(*files)}
    rows: list[Row] = []
    for name, key, unit, target in MEASURES:
        rows.append(Row(f"{name} (baseline)", BASELINE[key], unit))
        rows.append(measured.get(name) or Row(name, None, unit, target, note="skipped (no data)"))
    return rows


def measure() -> list[Row]:
    """In the child, on the assist database: the demo company's drafts."""
    from .assist import demo_prepare

    demo_prepare()
    _precedents_embed()
    with progress_bar("drafting open tickets", unit="ticket") as progress:
        current = evaluation.open_tickets_evaluate(source="demo", progress=progress)
    say(f"drafts, open demo tickets: {current}")
    cut = evaluation.recent_replies_cut(share=RECENT_SHARE)
    if cut is None:
        raise RuntimeError("no solved demo ticket; did seed_demo run?")
    with progress_bar(f"drafting replies since {cut:%Y-%m-%d %H:%M}", unit="reply") as progress:
        recent = evaluation.tickets_evaluate(since=cut, progress=progress)
    say(f"drafts, eval_drafts --tickets --since {cut.isoformat()}: {recent}")
    figures: dict[str, Any] = {
        DEMO_ANSWERED: current["answered"],
        DEMO_MARKERS: current["markers_resolved"],
        RECENT_CHRF: recent["chrf"],
        RECENT_F1: recent["token_f1"],
    }
    return [_row(name, figures[name]) for name in _DEMO]


def _precedents_embed() -> None:
    """Embed the solved tickets that precedents are searched among, as the workers' sweep
    (`console.precedents_sweep`, every minute) keeps them in production; no beat runs here."""
    embedded = 0
    while done := precedents_embed(limit=500):
        embedded += done
    say(f"drafts: {embedded} solved tickets embedded for precedents")


def _dataset(documents: Path, queries: Path) -> list[Row]:
    with progress_bar(f"{DATASET}: loading documents", unit="doc") as progress:
        collection = knowledge.evaluation_collection_load(documents, progress=progress)
    with progress_bar(f"{DATASET}: embedding", unit="chunk") as progress:
        knowledge.evaluation_collection_embed(collection, progress=progress)
    cases = evaluation.cases_load(queries, input_mode="conversation")
    with progress_bar(f"{DATASET}: drafting", unit="row", total=len(cases)) as progress:
        report = evaluation.cases_evaluate(collection, cases, progress=progress)
    say(f"drafts {DATASET}: {report}")
    return [
        _row(DSTC_ANSWERED, report["answered"]),
        _row(DSTC_F1, report["token_f1"]),
        _row(DSTC_ROUGE, report["rouge_l"]),
    ]


def _row(name: str, value: float | None) -> Row:
    _, _, unit, target = next(m for m in MEASURES if m[0] == name)
    return Row(name, value, unit, target, note="" if value is not None else "nothing to measure")
