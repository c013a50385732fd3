"""Fine-tuning: the training loop's throughput against a bare PyTorch loop, its peak memory, and the whole
nightly cycle on the demo data.

It runs in a child process on the assist benchmark's database (the demo company; see `assist`), with the
demo base model built once under DATA_DIR/bench-demo-model and training files of its own. Untimed set-up:
the demo company, its library, the backfilled examples and the demo model.

- Throughput: `train.py` and a bare loop (the same model, LoRA layers, batches and optimizer, nothing else:
  no progress, checkpoints or bookkeeping) train on the same examples, in turns, twice each; the better of
  each is compared, in tokens per second.
- Peak memory: the benchmark process's peak resident set after training (CPU).
- Cycle: `finetune_cycle(force=True)` from the first snapshot to the decision, with no adapter active yet.
"""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

from .child import rows_from_child
from .report import Row, Target, say

THROUGHPUT_RATIO = 0.90
CYCLE_SECONDS = 600.0
THROUGHPUT_EXAMPLES = 96
ROWS = (
    "training throughput train.py",
    "training throughput bare PyTorch loop",
    "training throughput train.py / bare loop",
    "training peak memory (resident, CPU)",
    "nightly cycle on the demo data (snapshot, train, evaluate, decide)",
)


def run() -> list[Row]:
    """Measure in a child process on the assist database (`child`)."""
    return rows_from_child("training")


def _setup() -> None:
    from django.conf import settings
    from django.core.management import call_command

    from assist.learning import examples_backfill
    from demo.documents import demo_documents
    from models_ft import api as models_api
    from support.tickets.models import TicketMessage

    from .assist import _library_embed

    data = Path(settings.DATA_DIR)
    files = data / "bench-training"
    shutil.rmtree(files, ignore_errors=True)
    settings.DATASET_STORE = files / "datasets"
    settings.ADAPTER_STORE = files / "adapters"
    settings.TRAINING_RUNS_DIR = files / "runs"
    settings.BASE_MODEL = str(data / "bench-demo-model")
    settings.TRAINING_CONFIG = ""
    call_command("seed_demo", no_progress=True, verbosity=0, stdout=io.StringIO())
    _library_embed()
    say("training: backfilling examples from the demo tickets")
    examples_backfill()
    if not (Path(settings.BASE_MODEL) / "config.json").exists():
        say("training: building the demo base model")
        texts = [d.body for d in demo_documents()]
        texts += list(TicketMessage.objects.filter(public=True).values_list("body", flat=True)[:5000])
        models_api.demo_model_make(out=Path(settings.BASE_MODEL), texts=texts)
    # The cycle as on its first night: no snapshot, run, adapter or evaluation yet.
    models_api.training_history_delete()


def measure() -> list[Row]:
    from django.conf import settings

    from assist.learning import finetune_cycle
    from models_ft import api as models_api

    _setup()
    say("training: the nightly cycle")
    started = time.monotonic()
    result = finetune_cycle(force=True, by="bench")
    cycle_seconds = time.monotonic() - started
    say(f"training: cycle {result.decision}: {result.reason}")
    snapshot = models_api.snapshot_latest()
    if snapshot is None:
        raise RuntimeError(f"the cycle built no snapshot: {result.reason}")
    lines = (snapshot.path / "train.jsonl").read_text().splitlines()[:THROUGHPUT_EXAMPLES]
    dataset = Path(settings.TRAINING_RUNS_DIR) / "throughput.jsonl"
    dataset.parent.mkdir(parents=True, exist_ok=True)
    dataset.write_text("\n".join(lines) + "\n")
    ours, bare, peak = _throughput(str(settings.BASE_MODEL), dataset)
    return [
        Row(ROWS[0], ours, "tokens/s"),
        Row(ROWS[1], bare, "tokens/s"),
        Row(ROWS[2], ours / bare if bare else 0.0, "%", Target(">=", THROUGHPUT_RATIO)),
        Row(ROWS[3], peak, "MB"),
        Row(ROWS[4], cycle_seconds, "s", Target("<=", CYCLE_SECONDS)),
    ]


def _throughput(base: str, dataset: Path) -> tuple[float, float, float]:
    from django.conf import settings

    from models_ft import api as models_api

    config = {"epochs": 1, "checkpoint_every": 10_000}
    ours: list[float] = []
    bare: list[float] = []
    peak = 0.0
    for turn in range(2):
        say(f"training: throughput, turn {turn + 1} of 2")
        bare.append(models_api.lora_train_bare_throughput(base_model=base, dataset=dataset, config=config))
        out = Path(settings.TRAINING_RUNS_DIR) / f"throughput-{turn}"
        shutil.rmtree(out, ignore_errors=True)
        result = models_api.lora_train(base_model=base, dataset=dataset, out=out, config=config)
        ours.append(result.tokens_per_second)
        peak = max(peak, result.peak_memory_mb)
    return max(ours), max(bare), peak
