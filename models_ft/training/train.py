"""LoRA fine-tuning of a causal language model on a dataset snapshot: a `LoraTrainingConfig` and a JSONL file
in, a peft adapter folder out. Needs no database; runnable by hand:

    python -m models_ft.training.train --base var/demo-model --data var/datasets/<hash>/train.jsonl \\
        --out var/runs/manual --epochs 1 --rank 8

What it does, and why:
- Each line is `{"messages": [...]}`: the prompt messages, then the reply as the last (assistant) message.
  The prompt is formatted exactly as the `local` backend formats it when serving (`prompt_text`: the
  tokenizer's chat template with the generation prompt), and the reply follows with the end-of-sequence
  token. The loss counts the reply's tokens only: the model learns to answer, not to write prompts.
- A sequence longer than `max_length` loses the beginning of its prompt (the reply is what is learned; the
  end of the prompt, nearest the reply, is kept).
- The loop is plain PyTorch: AdamW over the LoRA weights, linear warm-up then linear decay, gradient
  accumulation, gradient clipping. Every `checkpoint_every` optimizer steps it saves the adapter, the
  optimizer and the scheduler under `out/checkpoints/`; run again with the same `out` and it resumes from
  the latest one, on the same batches. `should_stop()` is asked before each step: a cancel saves a
  checkpoint and raises `TrainingCancelled`.
- The adapter lands in `out/adapter/` (peft's layout: `adapter_config.json`, `adapter_model.safetensors`)
  with `out/training.json` (config, base model, losses, throughput).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

ADAPTER_DIR = "adapter"
CHECKPOINTS_DIR = "checkpoints"
SUMMARY_FILE = "training.json"
IGNORE = -100


class TrainingError(Exception):
    """Training cannot start or go on: a bad base model, an empty or malformed dataset, no space left."""


class TrainingCancelled(Exception):
    """`should_stop()` said stop; the latest state is saved as a checkpoint."""

    def __init__(self, step: int) -> None:
        super().__init__(f"Training was cancelled at step {step}; it resumes from there when run again.")
        self.step = step


def _check_type(name: str, value: Any, expected: type) -> None:
    """A setting must have its default's type (a whole number is a fine float; true is not a number)."""
    allowed: tuple[type, ...] = (int, float) if expected is float else (expected,)
    if (isinstance(value, bool) and expected is not bool) or not isinstance(value, allowed):
        kind = {int: "a whole number", float: "a number", str: "a string"}.get(expected, expected.__name__)
        raise TrainingError(f"Invalid training configuration: {name} must be {kind}, not {value!r}.")


@dataclass(frozen=True)
class LoraTrainingConfig:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    learning_rate: float = 2e-4
    epochs: int = 1
    batch_size: int = 4
    gradient_accumulation: int = 1
    max_length: int = 1024
    seed: int = 0
    warmup_ratio: float = 0.05
    checkpoint_every: int = 50
    device: str = "auto"

    def __post_init__(self) -> None:
        problems = []
        if self.rank < 1 or self.alpha < 1:
            problems.append("rank and alpha must be at least 1")
        if not 0 <= self.dropout < 1:
            problems.append("dropout must be in [0, 1)")
        if not self.target_modules:
            problems.append("target_modules must name at least one module")
        if self.learning_rate <= 0:
            problems.append("learning_rate must be positive")
        if self.epochs < 1 or self.batch_size < 1 or self.gradient_accumulation < 1:
            problems.append("epochs, batch_size and gradient_accumulation must be at least 1")
        if self.max_length < 16:
            problems.append("max_length must be at least 16 tokens")
        if self.checkpoint_every < 1:
            problems.append("checkpoint_every must be at least 1")
        if problems:
            raise TrainingError("Invalid training configuration: " + "; ".join(problems) + ".")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LoraTrainingConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TrainingError(f"Unknown training settings: {', '.join(unknown)}.")
        values = dict(values)
        if "target_modules" in values:
            modules = values["target_modules"]
            if not isinstance(modules, list | tuple) or not all(isinstance(m, str) for m in modules):
                raise TrainingError("Invalid training configuration: target_modules must be a list of names.")
            values["target_modules"] = tuple(modules)
        for item in fields(cls):
            if item.name in values and item.name != "target_modules":
                _check_type(item.name, values[item.name], type(item.default))
        try:
            return cls(**values)
        except TypeError as exc:
            raise TrainingError(f"Invalid training configuration: {exc}.") from exc

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["target_modules"] = list(self.target_modules)
        return values


@dataclass(frozen=True)
class Progress:
    step: int
    total_steps: int
    epoch: int
    loss: float
    learning_rate: float
    tokens_per_second: float
    elapsed_seconds: float


@dataclass
class TrainingResult:
    adapter_path: Path
    steps: int
    losses: list[tuple[int, float]] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0
    tokens_per_second: float = 0.0
    peak_memory_mb: float = 0.0
    resumed_from: int = 0

    @property
    def first_loss(self) -> float | None:
        return self.losses[0][1] if self.losses else None

    @property
    def final_loss(self) -> float | None:
        return self.losses[-1][1] if self.losses else None


@dataclass(frozen=True)
class Example:
    input_ids: list[int]
    labels: list[int]


def load_dataset(path: Path) -> list[list[dict[str, str]]]:
    """The conversations of a JSONL dataset file; TrainingError on a missing, empty or malformed file."""
    if not path.is_file():
        raise TrainingError(f"No dataset file at {path}.")
    conversations = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                messages = json.loads(line)["messages"]
                ok = isinstance(messages, list) and all(
                    isinstance(m, dict)
                    and isinstance(m.get("role"), str)
                    and isinstance(m.get("content"), str)
                    for m in messages
                )
            except (ValueError, KeyError, TypeError):
                ok = False
            if not ok or len(messages) < 2 or messages[-1]["role"] != "assistant":
                raise TrainingError(
                    f'{path}, line {number}: expected {{"messages": [...]}} ending with the reply '
                    "(an assistant message)."
                )
            conversations.append(messages)
    if not conversations:
        raise TrainingError(f"{path} holds no examples.")
    return conversations


def encode(tokenizer: Any, messages: Sequence[dict[str, str]], max_length: int) -> Example:
    """Token ids of the prompt (formatted as the local backend formats it when serving) followed by the
    reply and the end-of-sequence token; labels mask the prompt, so only the reply counts in the loss."""
    from ..contracts import PromptMessage
    from ..serving.local import prompt_text

    prompt = [PromptMessage(role=m["role"], content=m["content"]) for m in messages[:-1]]  # type: ignore[arg-type]
    has_template = bool(getattr(tokenizer, "chat_template", None))
    prompt_ids = tokenizer(prompt_text(tokenizer, prompt), add_special_tokens=not has_template)["input_ids"]
    reply = messages[-1]["content"]
    reply_ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        reply_ids = [*reply_ids, tokenizer.eos_token_id]
    reply_ids = reply_ids[:max_length]
    room = max_length - len(reply_ids)
    prompt_ids = prompt_ids[len(prompt_ids) - room :] if room > 0 else []
    return Example(
        input_ids=[*prompt_ids, *reply_ids],
        labels=[IGNORE] * len(prompt_ids) + list(reply_ids),
    )


def collate(batch: Sequence[Example], pad_id: int) -> dict[str, Any]:
    """Right-padded tensors: input ids, attention mask, and labels with padding ignored."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = [e.input_ids + [pad_id] * (width - len(e.input_ids)) for e in batch]
    mask = [[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in batch]
    labels = [e.labels + [IGNORE] * (width - len(e.labels)) for e in batch]
    return {
        "input_ids": torch.tensor(ids),
        "attention_mask": torch.tensor(mask),
        "labels": torch.tensor(labels),
    }


def batches_for_epoch(count: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The example indices of each batch of an epoch: shuffled, the same for the same seed and epoch."""
    order = list(range(count))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)  # noqa: S311 - shuffling, not secrets
    return [order[i : i + batch_size] for i in range(0, count, batch_size)]


def resolve_device(wanted: str) -> str:
    import torch

    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if wanted.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError(f"Device {wanted!r} was asked for, but no CUDA device is available.")
    return wanted


def load_base(base_model: str, revision: str | None, device: str) -> tuple[Any, Any]:
    """The base model and its tokenizer; TrainingError when they cannot be loaded."""
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(base_model, revision=revision)
        model: Any = AutoModelForCausalLM.from_pretrained(base_model, revision=revision)
    except Exception as exc:
        raise TrainingError(f"Could not load the base model {base_model!r}: {exc}") from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device), tokenizer


def lora_model(model: Any, config: LoraTrainingConfig) -> Any:
    from peft import LoraConfig, get_peft_model

    try:
        return get_peft_model(
            model,
            LoraConfig(
                r=config.rank,
                lora_alpha=config.alpha,
                lora_dropout=config.dropout,
                target_modules=list(config.target_modules),
                task_type="CAUSAL_LM",
            ),
        )
    except ValueError as exc:  # target modules not in this model
        raise TrainingError(f"Cannot put LoRA layers on this model: {exc}") from exc


def schedule(step: int, total: int, warmup: int) -> float:
    """Linear warm-up over `warmup` steps, then linear decay to zero at `total`."""
    if step < warmup:
        return (step + 1) / max(1, warmup)
    return max(0.0, (total - step) / max(1, total - warmup))


def train(
    *,
    base_model: str,
    dataset: Path,
    out: Path,
    config: LoraTrainingConfig,
    revision: str | None = None,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainingResult:
    """Train a LoRA adapter on `dataset` (see the module docstring); resumes from the latest checkpoint in
    `out`."""
    import torch

    conversations = load_dataset(dataset)
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    model, tokenizer = load_base(base_model, revision, device)
    examples = [encode(tokenizer, messages, config.max_length) for messages in conversations]
    model = lora_model(model, config)
    model.train()

    per_epoch = math.ceil(math.ceil(len(examples) / config.batch_size) / config.gradient_accumulation)
    total_steps = per_epoch * config.epochs
    warmup = round(total_steps * config.warmup_ratio)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: schedule(s, total_steps, warmup))
    result = TrainingResult(adapter_path=out / ADAPTER_DIR, steps=total_steps)
    step = _resume(model, optimizer, scheduler, out, result)

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    started = time.monotonic()
    tokens_seen = 0
    try:
        for epoch in range(config.epochs):
            batches = batches_for_epoch(len(examples), config.batch_size, config.seed, epoch)
            groups = [
                batches[i : i + config.gradient_accumulation]
                for i in range(0, len(batches), config.gradient_accumulation)
            ]
            for index, group in enumerate(groups):
                if epoch * per_epoch + index < step:
                    continue  # done before the checkpoint this run resumed from
                if should_stop is not None and should_stop():
                    _checkpoint(model, optimizer, scheduler, out, step, result)
                    raise TrainingCancelled(step)
                loss_sum, tokens = _optimizer_step(
                    model, optimizer, scheduler, group, examples, tokenizer, device
                )
                step += 1
                tokens_seen += tokens
                result.tokens += tokens
                result.losses.append((step, round(loss_sum, 5)))
                elapsed = time.monotonic() - started
                if progress is not None:
                    progress(
                        Progress(
                            step=step,
                            total_steps=total_steps,
                            epoch=epoch,
                            loss=loss_sum,
                            learning_rate=float(scheduler.get_last_lr()[0]),
                            tokens_per_second=tokens_seen / elapsed if elapsed > 0 else 0.0,
                            elapsed_seconds=elapsed,
                        )
                    )
                if step % config.checkpoint_every == 0 and step < total_steps:
                    _checkpoint(model, optimizer, scheduler, out, step, result)
    except OSError as exc:
        raise TrainingError(f"Could not write under {out}: {exc.strerror or exc}.") from exc
    result.seconds = time.monotonic() - started
    result.tokens_per_second = tokens_seen / result.seconds if result.seconds > 0 else 0.0
    result.peak_memory_mb = _peak_memory_mb(device)
    _save_adapter(model, out, config, base_model, revision, dataset, result)
    return result


def _optimizer_step(
    model: Any,
    optimizer: Any,
    scheduler: Any,
    group: list[list[int]],
    examples: list[Example],
    tokenizer: Any,
    device: str,
) -> tuple[float, int]:
    """One optimizer step over the batches of `group` (gradient accumulation, weighted by reply tokens);
    the mean loss per reply token and the number of tokens read."""
    import torch

    counted = sum(sum(1 for label in examples[i].labels if label != IGNORE) for batch in group for i in batch)
    loss_total = 0.0
    tokens = 0
    for batch in group:
        inputs = collate([examples[i] for i in batch], tokenizer.pad_token_id)
        inputs = {key: value.to(device) for key, value in inputs.items()}
        batch_tokens = int((inputs["labels"][:, 1:] != IGNORE).sum())
        loss = model(**inputs).loss
        # The model averages over this batch's reply tokens; weigh it by its share of the step's tokens.
        (loss * batch_tokens / max(1, counted)).backward()
        loss_total += float(loss.detach()) * batch_tokens
        tokens += int(inputs["attention_mask"].sum())
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss_total / max(1, counted), tokens


def _latest_checkpoint(out: Path) -> Path | None:
    folder = out / CHECKPOINTS_DIR
    if not folder.is_dir():
        return None
    steps = sorted(
        (int(p.name.removeprefix("step-")), p)
        for p in folder.iterdir()
        if p.name.startswith("step-") and (p / "state.pt").is_file()
    )
    return steps[-1][1] if steps else None


def _checkpoint(
    model: Any, optimizer: Any, scheduler: Any, out: Path, step: int, result: TrainingResult
) -> None:
    import torch
    from peft import get_peft_model_state_dict

    folder = out / CHECKPOINTS_DIR / f"step-{step}"
    staging = folder.with_name(folder.name + ".partial")
    staging.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "step": step,
            "adapter": get_peft_model_state_dict(model),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "losses": result.losses,
            "tokens": result.tokens,
        },
        staging / "state.pt",
    )
    _remove(folder)  # the same step saved already (a cancel right after a periodic checkpoint)
    staging.replace(folder)  # a checkpoint is whole or absent, even if the process dies while saving
    for older in (out / CHECKPOINTS_DIR).iterdir():
        if older.name.startswith("step-") and older != folder:
            _remove(older)


def _resume(model: Any, optimizer: Any, scheduler: Any, out: Path, result: TrainingResult) -> int:
    import torch
    from peft import set_peft_model_state_dict

    latest = _latest_checkpoint(out)
    if latest is None:
        return 0
    state = torch.load(latest / "state.pt", map_location="cpu", weights_only=False)
    set_peft_model_state_dict(model, state["adapter"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    result.losses = [tuple(pair) for pair in state["losses"]]  # type: ignore[misc]
    result.tokens = int(state["tokens"])
    result.resumed_from = int(state["step"])
    return int(state["step"])


def _save_adapter(
    model: Any,
    out: Path,
    config: LoraTrainingConfig,
    base_model: str,
    revision: str | None,
    dataset: Path,
    result: TrainingResult,
) -> None:
    adapter = out / ADAPTER_DIR
    staging = adapter.with_name(ADAPTER_DIR + ".partial")
    _remove(staging)
    model.save_pretrained(staging)
    _remove(adapter)
    staging.replace(adapter)
    summary = {
        "base_model": base_model,
        "revision": revision,
        "dataset": str(dataset),
        "config": config.as_dict(),
        "steps": result.steps,
        "resumed_from": result.resumed_from,
        "losses": result.losses,
        "tokens": result.tokens,
        "seconds": round(result.seconds, 2),
        "tokens_per_second": round(result.tokens_per_second, 1),
        "peak_memory_mb": round(result.peak_memory_mb, 1),
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    _remove(out / CHECKPOINTS_DIR)


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _peak_memory_mb(device: str) -> float:
    import resource

    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    # The process's peak resident set (Linux reports kilobytes).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train a LoRA adapter on a dataset snapshot (no database).")
    parser.add_argument("--base", required=True, help="Base model: a folder or hub id.")
    parser.add_argument("--revision", help="Revision of a hub model.")
    parser.add_argument("--data", required=True, type=Path, help="train.jsonl of a dataset snapshot.")
    parser.add_argument(
        "--out", required=True, type=Path, help="Output folder (resumes if it has checkpoints)."
    )
    parser.add_argument("--config", type=Path, help="JSON file of LoraTrainingConfig fields.")
    for name in ("rank", "alpha", "epochs", "batch_size", "gradient_accumulation", "max_length", "seed"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int)
    for name in ("dropout", "learning_rate"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=float)
    parser.add_argument("--target-modules", help="Comma-separated module names, e.g. q_proj,v_proj.")
    parser.add_argument("--device", help="cpu, cuda, cuda:N or auto.")
    args = parser.parse_args(argv)
    try:
        values: dict[str, Any] = json.loads(args.config.read_text()) if args.config else {}
        for name in ("rank", "alpha", "epochs", "batch_size", "gradient_accumulation", "max_length", "seed"):
            if getattr(args, name) is not None:
                values[name] = getattr(args, name)
        for name in ("dropout", "learning_rate", "device"):
            if getattr(args, name) is not None:
                values[name] = getattr(args, name)
        if args.target_modules:
            values["target_modules"] = [m.strip() for m in args.target_modules.split(",") if m.strip()]
        config = LoraTrainingConfig.from_dict(values)

        def show(p: Progress) -> None:
            print(  # noqa: T201 - the command line's progress
                f"\rstep {p.step}/{p.total_steps} loss {p.loss:.4f} lr {p.learning_rate:.2e} "
                f"{p.tokens_per_second:.0f} tokens/s",
                end="",
                file=sys.stderr,
                flush=True,
            )

        result = train(
            base_model=args.base,
            revision=args.revision,
            dataset=args.data,
            out=args.out,
            config=config,
            progress=show,
        )
    except (TrainingError, TrainingCancelled, OSError, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"\nadapter saved in {result.adapter_path} (loss {result.first_loss} -> {result.final_loss})")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
