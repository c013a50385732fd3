"""The fine-tuning loop: where datasets and adapters live, and how datasets are cut."""

from __future__ import annotations

from pathlib import Path

from .base import DATA_DIR
from .env import env_bool, env_float, env_int, env_str

DATASET_STORE = Path(
    env_str("DATASET_STORE", "", help="Folder of frozen dataset snapshots (empty: DATA_DIR/datasets).")
    or DATA_DIR / "datasets"
)
DATASET_EVAL_FRACTION = env_float(
    "DATASET_EVAL_FRACTION",
    0.15,
    minimum=0.0,
    maximum=0.5,
    help="Share of a snapshot's examples held out for evaluation: the newest ones.",
)
DATASET_MIN_REPLY_CHARS = env_int(
    "DATASET_MIN_REPLY_CHARS", 40, minimum=1, help="Sent replies shorter than this are left out of datasets."
)
DATASET_MAX_AGE_DAYS = env_int(
    "DATASET_MAX_AGE_DAYS",
    730,
    minimum=1,
    help="Replies sent longer ago than this are stale (the policies they quote may have changed).",
)

BASE_MODEL = env_str(
    "BASE_MODEL",
    "",
    help="The causal LM adapters are trained on and served with: a folder or hub id (empty: the demo "
    "model in DATA_DIR/demo-model, built by `manage.py make_demo_model`).",
) or str(DATA_DIR / "demo-model")
BASE_MODEL_REVISION = (
    env_str("BASE_MODEL_REVISION", "", help="Revision of a hub BASE_MODEL (empty: main).") or ""
)
ADAPTER_STORE = Path(
    env_str("ADAPTER_STORE", "", help="Folder of trained adapters (empty: DATA_DIR/adapters).")
    or DATA_DIR / "adapters"
)
TRAINING_RUNS_DIR = Path(
    env_str("TRAINING_RUNS_DIR", "", help="Working folders of training runs (empty: DATA_DIR/runs).")
    or DATA_DIR / "runs"
)
TRAINING_CONFIG = (
    env_str(
        "TRAINING_CONFIG",
        "",
        help='LoraTrainingConfig fields as JSON, e.g. {"rank": 16, "epochs": 2} (empty: the defaults).',
    )
    or ""
)
FINETUNE_MIN_NEW_EXAMPLES = env_int(
    "FINETUNE_MIN_NEW_EXAMPLES",
    50,
    minimum=1,
    help="The scheduled cycle trains only when at least this many examples are newer than the last snapshot.",
)
FINETUNE_PROMOTE_MARGIN = env_float(
    "FINETUNE_PROMOTE_MARGIN",
    0.01,
    minimum=0.0,
    help="How much a candidate must beat the active model on the primary metric (chrF) to be promoted.",
)
FINETUNE_HOUR = env_int(
    "FINETUNE_HOUR", 2, minimum=0, maximum=23, help="Hour (TIME_ZONE) at which beat runs the nightly cycle."
)
FINETUNE_EVAL_EXAMPLES = env_int(
    "FINETUNE_EVAL_EXAMPLES", 24, minimum=1, help="Held-out examples each configuration is evaluated on."
)
FINETUNE_MAX_PERPLEXITY_RATIO = env_float(
    "FINETUNE_MAX_PERPLEXITY_RATIO",
    1.5,
    minimum=1.0,
    help="A candidate whose perplexity on general text exceeds the base model's by more than this factor "
    "has forgotten too much to be promoted.",
)

# The retriever's adaptation (knowledge/adaptation.py): the embedding model fine-tuned on relevance pairs.
RETRIEVER_STORE = Path(
    env_str("RETRIEVER_STORE", "", help="Folder of adapted embedding models (empty: DATA_DIR/retrievers).")
    or DATA_DIR / "retrievers"
)
RETRIEVER_CONFIG = (
    env_str(
        "RETRIEVER_CONFIG",
        "",
        help='AdaptConfig fields as JSON, e.g. {"epochs": 2, "hard_negatives": 1} (empty: the defaults).',
    )
    or ""
)
RETRIEVER_MIN_PAIRS = env_int(
    "RETRIEVER_MIN_PAIRS",
    40,
    minimum=2,
    help="Relevant pairs needed before the retriever is adapted (the nightly step skips below this).",
)
RETRIEVER_HELD_OUT_FRACTION = env_float(
    "RETRIEVER_HELD_OUT_FRACTION",
    0.2,
    minimum=0.05,
    maximum=0.5,
    help="Share of the relevant pairs, the newest, never trained on: the gate scores the candidate on them.",
)
RETRIEVER_PROMOTE_MARGIN = env_float(
    "RETRIEVER_PROMOTE_MARGIN",
    0.01,
    minimum=0.0,
    help="How much held-out recall@5 and MRR@10 must both improve for an adapted retriever to pass the gate.",
)
RETRIEVER_AUTO_PROMOTE = env_bool(
    "RETRIEVER_AUTO_PROMOTE",
    False,
    help="Whether the nightly step promotes an adapted retriever that passes the gate (otherwise an "
    "administrator promotes it on the models page).",
)
