"""The benchmark harness: how figures are judged and printed, and the edit benchmark end to end on a small
document. The real runs (`make bench`) take minutes and are never part of the test suite."""

from __future__ import annotations

import argparse
import json

import pytest

from bench import cli, edit, quality
from bench.report import Row, Target, as_json, percentile, table
from knowledge.models import EmbeddingCache

ROWS = [
    Row("quality or-sharc recall@1", 0.7123, target=Target(">=", 0.68)),
    Row("quality dstc11-track5 hit@5", None, target=Target(">=", 0.45), note="skipped (no data)"),
    Row("throughput bare model", 41.25, "texts/s"),
    Row("throughput Celery / bare", 0.8, "%", Target(">=", 0.85)),
    Row("latency p95 with query embedding", 31.04, "ms", Target("<=", 55)),
    Row("edit: chunks re-embedded", 1, "chunks", Target("<=", 2)),
]


def test_table_has_one_aligned_line_per_row_with_its_result():
    assert table(ROWS).splitlines() == [
        "benchmark                        | measured          | target      | result",
        "---------------------------------+-------------------+-------------+-------",
        "quality or-sharc recall@1        | 0.7123            | >= 0.68     | PASS",
        "quality dstc11-track5 hit@5      | skipped (no data) | >= 0.45     | SKIP",
        "throughput bare model            | 41.2 texts/s      | -           | -",
        "throughput Celery / bare         | 80.0%             | >= 85.0%    | FAIL",
        "latency p95 with query embedding | 31.0 ms           | <= 55.0 ms  | PASS",
        "edit: chunks re-embedded         | 1 chunk           | <= 2 chunks | PASS",
    ]


def test_json_is_one_line_with_every_row_and_the_durations():
    line = as_json(ROWS, durations={"quality": 12.34})
    assert "\n" not in line
    report = json.loads(line)
    assert [r["result"] for r in report["rows"]] == ["PASS", "SKIP", "-", "FAIL", "PASS", "PASS"]
    assert report["rows"][3] == {
        "benchmark": "throughput Celery / bare",
        "measured": 0.8,
        "unit": "%",
        "target": ">= 0.85",
        "result": "FAIL",
        "note": "",
    }
    assert report["durations_s"] == {"quality": 12.3}
    assert (report["all_passed"], report["errors"]) == (False, 0)


def test_a_crashing_benchmark_gets_error_rows_and_the_others_still_run():
    def crash() -> list[Row]:
        raise RuntimeError("worker gone")

    rows, durations, crashed = cli.run_all(
        ["quality", "edit"],
        {"quality": crash, "edit": lambda: [ROWS[-1]]},
        lambda name: [f"{name} one", f"{name} two"],
    )
    assert crashed
    assert [(r.benchmark, r.result) for r in rows] == [
        ("quality one", "ERROR"),
        ("quality two", "ERROR"),
        ("edit: chunks re-embedded", "PASS"),
    ]
    assert rows[0].measured_text() == "error: RuntimeError: worker gone"
    assert set(durations) == {"quality", "edit"}


def test_only_keeps_the_canonical_order_and_rejects_unknown_names():
    assert cli._only("edit, quality") == ["quality", "edit"]
    with pytest.raises(argparse.ArgumentTypeError, match="unknown benchmark speed"):
        cli._only("quality,speed")


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile([7.0], 0.95)) == (50.0, 95.0, 7.0)


def test_a_missing_dataset_gives_skipped_rows(tmp_path):
    rows = quality.run(tmp_path)
    assert [(r.benchmark, r.measured_text(), r.target_text(), r.result) for r in rows] == [
        ("quality or-sharc recall@1", "skipped (no data)", ">= 0.68", "SKIP"),
        ("quality or-sharc recall@5", "skipped (no data)", ">= 0.92", "SKIP"),
        ("quality or-sharc MRR@10", "skipped (no data)", ">= 0.78", "SKIP"),
        ("quality or-sharc 30% stock recall@1", "skipped (no data)", "-", "SKIP"),
        ("quality or-sharc 30% stock recall@5", "skipped (no data)", "-", "SKIP"),
        ("quality or-sharc 30% stock MRR@10", "skipped (no data)", "-", "SKIP"),
        ("quality or-sharc 30% adapted recall@1", "skipped (no data)", ">= 0.82", "SKIP"),
        ("quality or-sharc 30% adapted recall@5", "skipped (no data)", ">= 0.96", "SKIP"),
        ("quality or-sharc 30% adapted MRR@10", "skipped (no data)", ">= 0.88", "SKIP"),
        ("quality or-sharc adapted recall@1 lift", "skipped (no data)", ">= 0.05", "SKIP"),
        ("quality or-sharc adaptation s per 1k pairs", "skipped (no data)", "<= 300.0 s", "SKIP"),
        ("quality or-sharc adapted / stock embedding speed", "skipped (no data)", ">= 85.0%", "SKIP"),
        ("quality dstc11-track5 hit@5", "skipped (no data)", ">= 0.45", "SKIP"),
        ("quality dstc11-track5 30% stock hit@5", "skipped (no data)", "-", "SKIP"),
        ("quality dstc11-track5 30% adapted hit@5", "skipped (no data)", ">= 0.7", "SKIP"),
        ("quality dstc11-track5 adapted hit@5 lift", "skipped (no data)", ">= 0.05", "SKIP"),
        ("quality dstc11-track5 adaptation s per 1k pairs", "skipped (no data)", "<= 300.0 s", "SKIP"),
        ("quality dstc11-track5 adapted / stock embedding speed", "skipped (no data)", ">= 85.0%", "SKIP"),
    ]


@pytest.mark.django_db
def test_edit_benchmark_counts_the_chunks_sent_to_the_model(tmp_path):
    # No datasets under tmp_path: the document is made of the demo library's paragraphs.
    [row] = edit.run(tmp_path, chunks=12)
    assert row.benchmark.endswith("-chunk document")
    assert row.measured is not None
    assert 1 <= row.measured <= 2
    assert row.result == "PASS"
    assert EmbeddingCache.objects.count() >= 12 + row.measured
