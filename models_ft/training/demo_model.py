"""A small causal language model built here, for the demo and the tests: no weights can be downloaded on the
machines that build Openbook, so `manage.py make_demo_model OUT` makes one from the demo company's own text.

- A byte-level BPE tokenizer trained on that text, with chat tokens and a chat template, so training and
  serving format conversations the same way (`serving.local.prompt_text`).
- A Llama-shaped model (the layout LoRA adapters usually target: q_proj, k_proj, v_proj, o_proj), a few
  layers wide enough to learn the company's words, pre-trained briefly on the text.
- Saved in the standard transformers layout (config, safetensors weights, tokenizer), loadable with
  `from_pretrained` like any model, plus `openbook_demo_model.json` saying what it is.

It writes plausible support-flavoured text, not good replies: it exists so the fine-tuning loop can run for
real, end to end, on a laptop.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MARKER_FILE = "openbook_demo_model.json"
# How to fine-tune a model this small (the LoraTrainingConfig defaults suit billions of parameters): a higher
# learning rate, and LoRA on every projection. Training runs on the demo model start from these.
RECOMMENDED_TRAINING = {
    "learning_rate": 2e-3,
    "rank": 8,
    "alpha": 16,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "max_length": 768,
    "batch_size": 4,
    "epochs": 1,
}
LABEL = "Openbook demo model (trained locally on the demo company's text; not a real language model)"
SPECIAL_TOKENS = ["<|pad|>", "<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
# Each message: its role's token, a newline, the content, <|end|>. The reply the model writes ends with
# <|end|> too, its end-of-sequence token.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


@dataclass(frozen=True)
class DemoModelConfig:
    vocab_size: int = 4096
    hidden_size: int = 128
    layers: int = 4
    heads: int = 4
    intermediate_size: int = 384
    context: int = 4096
    steps: int = 300
    sequence: int = 256
    batch: int = 8
    learning_rate: float = 3e-3
    seed: int = 0


def make_demo_model(
    out: Path,
    texts: Iterable[str],
    *,
    config: DemoModelConfig | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> dict[str, Any]:
    """Train the tokenizer on `texts`, pre-train the model on them for `config.steps` steps, save both in
    `out`; what was made (the marker file's content). `progress(step, steps, loss)` after each step."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    config = config or DemoModelConfig()
    corpus = [t.strip() for t in texts if t and t.strip()]
    if not corpus:
        raise ValueError("No text to train the demo model on.")
    random.seed(config.seed)
    torch.manual_seed(config.seed)

    raw = Tokenizer(models.BPE(unk_token=None))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=config.vocab_size,
            special_tokens=SPECIAL_TOKENS,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        pad_token="<|pad|>",  # noqa: S106 - token names, not passwords
        eos_token="<|end|>",  # noqa: S106
        bos_token="<|endoftext|>",  # noqa: S106
        model_max_length=config.context,
    )
    tokenizer.chat_template = CHAT_TEMPLATE

    model_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        num_key_value_heads=config.heads,
        max_position_embeddings=config.context,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(model_config)

    # Pre-training: the corpus as one stream of documents separated by <|end|>, cut into sequences.
    stream: list[int] = []
    for text in corpus:
        stream.extend(tokenizer(text, add_special_tokens=False)["input_ids"])
        stream.append(tokenizer.eos_token_id)
    size = config.sequence
    starts = list(range(0, max(1, len(stream) - size), size))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    warmup = max(1, config.steps // 10)

    def rate(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, config.steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    model.train()
    started = time.monotonic()
    loss_value = float("nan")
    for step in range(config.steps):
        picks = [random.choice(starts) for _ in range(config.batch)]  # noqa: S311 - sampling, not secrets
        batch = torch.tensor([_padded(stream[s : s + size], size, tokenizer.pad_token_id) for s in picks])
        labels = batch.masked_fill(batch == tokenizer.pad_token_id, -100)
        loss = model(input_ids=batch, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        loss_value = float(loss.detach())
        if progress is not None:
            progress(step + 1, config.steps, loss_value)

    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    made = {
        "label": LABEL,
        "config": asdict(config),
        "texts": len(corpus),
        "tokens": len(stream),
        "final_loss": round(loss_value, 4),
        "seconds": round(time.monotonic() - started, 1),
        "training": RECOMMENDED_TRAINING,
    }
    (out / MARKER_FILE).write_text(json.dumps(made, indent=2) + "\n")
    return made


def _padded(ids: list[int], size: int, pad: int) -> list[int]:
    return ids + [pad] * (size - len(ids))


def demo_label(model_path: str) -> str | None:
    """The demo model's label when `model_path` is a folder made by `make_demo_model`, else None."""
    marker = Path(model_path) / MARKER_FILE
    if not marker.is_file():
        return None
    try:
        return str(json.loads(marker.read_text()).get("label") or LABEL)
    except (OSError, ValueError):
        return LABEL


def recommended_training(model_path: str) -> dict[str, Any]:
    """The training settings a demo model recommends for itself ({} for any other model)."""
    marker = Path(model_path) / MARKER_FILE
    if not marker.is_file():
        return {}
    try:
        values = json.loads(marker.read_text()).get("training") or {}
    except (OSError, ValueError):
        return {}
    return dict(values) if isinstance(values, dict) else {}
