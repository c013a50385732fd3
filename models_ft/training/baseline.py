"""The training loop with nothing around it: the same model, LoRA layers, batches, schedule and optimizer as
`train.py`, without progress, checkpoints, cancelling or bookkeeping. It is the yardstick `python -m bench`
measures `train.py`'s throughput against."""

from __future__ import annotations

import time
from pathlib import Path

from .train import (
    LoraTrainingConfig,
    batches_for_epoch,
    collate,
    encode,
    load_base,
    load_dataset,
    lora_model,
    schedule,
)


def bare_loop_throughput(*, base_model: str, dataset: Path, config: LoraTrainingConfig) -> float:
    """One epoch of `dataset` on the CPU, in tokens per second."""
    import torch

    torch.manual_seed(config.seed)
    model, tokenizer = load_base(base_model, None, "cpu")
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
