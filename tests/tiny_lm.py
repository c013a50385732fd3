"""A tiny causal language model the tests build themselves (no weights can be downloaded here): GPT-2
shaped, random weights, a word-level tokenizer trained on a few support sentences. It writes nonsense; tests
use it to check plumbing (loading, adapters, streaming, limits, the draft pipeline), not quality."""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "Annual plans can be refunded in full within 30 days of purchase.",
    "Refunds go back to the original payment method within 5 business days.",
    "Passwords must be at least 12 characters long.",
    "Invoices are emailed on the first day of each month.",
    "system: You draft replies for support agents.",
    "user: Can I get a refund on my annual plan?",
    "assistant: Hi Dana, yes you can within 30 days.",
]
SPECIAL = ["[UNK]", "[PAD]", "[EOS]"]


def tiny_gpt2(folder: Path, *, n_positions: int = 256) -> Path:
    """Save the tiny model and its tokenizer into `folder` and return it."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    raw.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=SPECIAL))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    tokenizer.save_pretrained(folder)

    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=n_positions,
        n_embd=32,
        n_layer=1,
        n_head=2,
        # No end-of-text token: the random model then always writes exactly max_new_tokens tokens.
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=tokenizer.pad_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder
