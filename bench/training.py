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
from typing import Any

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

    from assist.backfill import examples_backfill
    from demo.documents import demo_documents
    from models_ft.models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingRun
    from models_ft.training.demo_model import make_demo_model
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
        make_demo_model(Path(settings.BASE_MODEL), texts)
    # The cycle as on its first night: no snapshot, run, adapter or evaluation yet.
    for model in (AdapterEvent, EvaluationMatrix, Adapter, TrainingRun, DatasetSnapshot):
        model.objects.all().delete()


def measure() -> list[Row]:
    from django.conf import settings

    from knowledge import api as knowledge
    from models_ft.cycle import finetune_cycle
    from models_ft.datasets import snapshot_path
    from models_ft.models import DatasetSnapshot

    _setup()
    say("training: the nightly cycle")
    started = time.monotonic()
    with knowledge.local_query_embedding():
        result = finetune_cycle(force=True, embed=lambda texts: knowledge.text_vectors(texts)[1], by="bench")
    cycle_seconds = time.monotonic() - started
    say(f"training: cycle {result.decision}: {result.reason}")
    snapshot = DatasetSnapshot.objects.order_by("-created_at").first()
    if snapshot is None:
        raise RuntimeError(f"the cycle built no snapshot: {result.reason}")
    lines = (snapshot_path(snapshot) / "train.jsonl").read_text().splitlines()[:THROUGHPUT_EXAMPLES]
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

    from models_ft.training.demo_model import recommended_training
    from models_ft.training.train import LoraTrainingConfig, train

    config = LoraTrainingConfig.from_dict(
        {**recommended_training(base), "epochs": 1, "checkpoint_every": 10_000}
    )
    ours: list[float] = []
    bare: list[float] = []
    peak = 0.0
    for turn in range(2):
        say(f"training: throughput, turn {turn + 1} of 2")
        bare.append(_bare_loop(base, dataset, config))
        out = Path(settings.TRAINING_RUNS_DIR) / f"throughput-{turn}"
        shutil.rmtree(out, ignore_errors=True)
        result = train(base_model=base, dataset=dataset, out=out, config=config)
        ours.append(result.tokens_per_second)
        peak = max(peak, result.peak_memory_mb)
    return max(ours), max(bare), peak


def _bare_loop(base: str, dataset: Path, config: Any) -> float:
    """The same training with nothing around it: tokens per second."""
    import torch

    from models_ft.training.train import (
        batches_for_epoch,
        collate,
        encode,
        load_base,
        load_dataset,
        lora_model,
        schedule,
    )

    torch.manual_seed(config.seed)
    model, tokenizer = load_base(base, None, "cpu")
    examples = [encode(tokenizer, m, config.max_length) for m in load_dataset(dataset)]
    model = lora_model(model, config)
    model.train()
    batches = batches_for_epoch(len(examples), config.batch_size, config.seed, 0)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)
    total = len(batches)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: schedule(s, total, round(total * 0.05))
    )
    tokens = 0
    started = time.monotonic()
    for batch in batches:
        inputs = collate([examples[i] for i in batch], tokenizer.pad_token_id)
        model(**inputs).loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += int(inputs["attention_mask"].sum())
    return tokens / (time.monotonic() - started)
