"""The detector's classifier: a scikit-learn logistic regression over word and character n-grams and the cue
features, fitted on the labelled sentences in `data/` when first used (the same data always gives the same
model), kept in DATA_DIR/cache between processes, and asked once for each reading it has not scored before."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import pickle
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .cues import cue_values
from .readings import normalise

DATA_DIR = Path(__file__).resolve().parent / "data"


class _CueFeatures:
    """A scikit-learn transformer: the cue features of each text, as a sparse matrix."""

    def fit(self, texts: Iterable[str], y: Any = None) -> _CueFeatures:
        return self

    def transform(self, texts: Iterable[str]) -> Any:
        from scipy.sparse import csr_matrix

        rows = [list(cue_values(text).values()) for text in texts]
        return csr_matrix(rows, dtype=float)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def set_params(self, **params: Any) -> _CueFeatures:
        return self


def _lines(name: str) -> list[str]:
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _expanded(name: str) -> list[tuple[str, int]]:
    """The sentences of a template file: every combination of each template's slots, in order, up to its
    limit, spread over the combinations rather than taking the first ones."""
    spec = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    rows = []
    for template in spec["templates"]:
        names = re.findall(r"\{(\w+)\}", template["pattern"])
        combos = list(itertools.product(*(spec["slots"][slot] for slot in names)))
        step = max(1, len(combos) // template["limit"])
        for combo in combos[::step][: template["limit"]]:
            sentence = template["pattern"].format(**dict(zip(names, combo, strict=True)))
            rows.append((sentence[0].upper() + sentence[1:], int(template["label"])))
    return rows


def training_data() -> tuple[list[str], list[int]]:
    """The labelled sentences: planted instructions (1); hard negatives and ordinary policy text (0); and
    the sentences the templates make."""
    rows = [(text, 1) for text in _lines("planted.txt")]
    rows += [(text, 0) for text in _lines("ordinary.txt") + _lines("policy.txt")]
    rows += _expanded("templates.json")
    return [normalise(text) for text, _ in rows], [label for _, label in rows]


def build_model(texts: Sequence[str], labels: Sequence[int]) -> Any:
    """A fitted pipeline: word and character n-gram TF-IDF plus the cue features, into a logistic
    regression with balanced class weights. The cues carry most of the weight: they say who is addressed
    and what is asked, in any wording; the n-grams add the vocabulary around them."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True, min_df=3)),
            ("cues", _CueFeatures()),
        ],
        transformer_weights={"words": 0.6, "chars": 0.4, "cues": 1.0},
    )
    model = Pipeline(
        [
            ("features", features),
            ("classifier", LogisticRegression(C=2.0, class_weight="balanced", max_iter=1000)),
        ]
    )
    model.fit(list(texts), list(labels))
    return model


_lock = threading.Lock()
_fitted: list[Any] = []


def _fingerprint() -> str:
    """What the fitted model depends on: the modules that make it and its features, its data files and the
    scikit-learn version."""
    import sklearn

    digest = hashlib.sha256(sklearn.__version__.encode())
    sources = [Path(__file__).with_name(name) for name in ("model.py", "cues.py", "readings.py")]
    for path in [*sources, *sorted(DATA_DIR.iterdir())]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def _cache_file() -> Path | None:
    """Where the fitted model is kept between processes (DATA_DIR/cache), so only the first process of a
    deployment pays for fitting it; None outside a configured Django project."""
    from django.conf import settings

    if not settings.configured or not getattr(settings, "DATA_DIR", None):
        return None
    return Path(settings.DATA_DIR) / "cache" / f"instruction-detector-{_fingerprint()}.pickle"


def _model() -> Any:
    with _lock:
        if _fitted:
            return _fitted[0]
        path = _cache_file()
        model = None
        if path is not None and path.exists():
            try:
                # Our own file, written below from our own data: not input from outside.
                model = pickle.loads(path.read_bytes())  # noqa: S301
            except Exception:  # a file from an interrupted write or another library version: fit again
                model = None
        if model is None:
            model = build_model(*training_data())
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                partial.write_bytes(pickle.dumps(model))
                partial.replace(path)
        _fitted.append(model)
        return model


_cache: dict[str, float] = {}
_CACHE_LIMIT = 50_000


def reading_scores(texts: Sequence[str]) -> list[float]:
    """Scores of many readings, in one call of the model for those not scored before."""
    missing = list(dict.fromkeys(text for text in texts if text not in _cache))
    if missing:
        probabilities = _model().predict_proba(missing)[:, 1]
        if len(_cache) + len(missing) > _CACHE_LIMIT:
            _cache.clear()
        _cache.update(zip(missing, (float(p) for p in probabilities), strict=True))
    return [_cache[text] for text in texts]
