"""The fine-tuning loop: where datasets and adapters live, and how datasets are cut."""

from __future__ import annotations

from pathlib import Path

from .base import DATA_DIR
from .env import env_float, env_int, env_str

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
