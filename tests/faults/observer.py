"""What search sees while the fault tests run: a thread that reads the index in one snapshot at a time
(REPEATABLE READ), several times a second, and runs a real search every so often."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from .library import WORDS

# Chunks of the versions search serves (each document's active version): those search cannot see (dirty,
# or no vector), and those whose vector comes from another model than the one queries are embedded with.
_SERVED = """
SELECT count(*) FILTER (WHERE c.dirty OR c.embedding IS NULL),
       count(*) FILTER (WHERE NOT c.dirty AND c.embedding_model <> %s)
FROM knowledge_chunk c JOIN knowledge_document d ON d.active_version_id = c.version_id
"""


@dataclass
class Observations:
    models: list[str] = field(default_factory=list)  # active_model as it changed, in order
    samples: int = 0
    searches: int = 0
    max_done: int = 0
    overshoots: int = 0  # samples with target_done > target_total
    # Each kind of violation once (its first occurrence), with how many samples showed it.
    violations: dict[str, int] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)

    def violate(self, kind: str, message: str) -> None:
        self.violations[kind] = self.violations.get(kind, 0) + 1
        self.first.setdefault(kind, message)


class IndexObserver(threading.Thread):
    def __init__(self, *, search_every: float = 0.5, pause: float = 0.05, seed: int = 0) -> None:
        super().__init__(name="index-observer", daemon=True)
        self.seen = Observations()
        self._stop_event = threading.Event()
        self._search_every = search_every
        self._pause = pause
        self._rng = random.Random(seed)
        self.error: BaseException | None = None
        self.phase, self.since = "starting", time.monotonic()

    def _at(self, phase: str) -> None:
        self.phase, self.since = phase, time.monotonic()

    def stop(self) -> Observations:
        self._stop_event.set()
        self.join(timeout=60)
        if self.error is not None:
            raise self.error
        if self.is_alive():
            stuck = time.monotonic() - self.since
            raise RuntimeError(f"the index observer is stuck ({self.phase}, {stuck:.0f} s)")
        return self.seen

    def run(self) -> None:
        try:
            last_search = 0.0
            while not self._stop_event.is_set():
                search = time.monotonic() - last_search >= self._search_every
                self._sample(search=search)
                if search:
                    last_search = time.monotonic()
                time.sleep(self._pause)
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()

    def _sample(self, *, search: bool) -> None:
        seen = self.seen
        with transaction.atomic(), connection.cursor() as cursor:
            self._at("state")
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(
                "SELECT active_model, target_model, target_done, target_total "
                "FROM knowledge_indexstate WHERE id = 1"
            )
            row = cursor.fetchone()
            if row is None:
                return
            active, target, done, total = row
            seen.samples += 1
            if not seen.models or seen.models[-1] != active:
                seen.models.append(active)
            if target:
                seen.max_done = max(seen.max_done, done)
                if done > total:
                    seen.overshoots += 1
                    seen.violate("progress_over_total", f"switch progress {done} of {total}")
            self._at("served")
            cursor.execute(_SERVED, [active])
            hidden, mixed = cursor.fetchone()
            if hidden:
                seen.violate("half_indexed_served", f"{hidden} chunks of served versions are not searchable")
            if mixed:
                seen.violate("mixed_models_served", f"{mixed} served chunks have vectors not of {active}")
            if search:
                self._search(cursor, active)

    def _search(self, cursor: Any, active: str) -> None:
        from knowledge import api

        self._at(f"search with {active}")
        query = " ".join(self._rng.choice(WORDS) for _ in range(4))
        with api.local_query_embedding():
            found = api.retrieve_with_status(query, scope=api.RetrievalScope(), k=10)
        self.seen.searches += 1
        if found.vector_search != "used":
            self.seen.violate("search_without_vectors", f"{found.vector_search}: {found.notice}")
        ids = [c.chunk_id for c in found.chunks]
        if ids:
            cursor.execute("SELECT DISTINCT embedding_model FROM knowledge_chunk WHERE id = ANY(%s)", [ids])
            models = {m for (m,) in cursor.fetchall()}
            if models != {active}:
                self.seen.violate("search_mixed_models", f"served {sorted(models)} while {active} was active")
