"""Reads of stored evaluations for the API: what a stored evaluation decided, and what the promotion gate says
of it."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from ..models import AdapterEvent, EvaluationMatrix
from .matrix import Decision, Matrix, MatrixRow, decide


def evaluation_decisions(matrix_ids: Iterable[int]) -> dict[int, AdapterEvent]:
    """The cycle's decision on each matrix (promoted or kept the active model), by matrix id. Only the cycle
    links a decision to its matrix (in the event's details); a matrix evaluated by hand has none."""
    ids = list(matrix_ids)
    if not ids:
        return {}
    events = (
        AdapterEvent.objects.filter(
            details__matrix__in=ids, action__in=[AdapterEvent.Action.PROMOTED, AdapterEvent.Action.KEPT]
        )
        .select_related("adapter", "previous")
        .order_by("created_at", "id")
    )
    # Oldest first, so the latest decision on a matrix wins.
    return {int(event.details["matrix"]): event for event in events}


def stored_matrix(evaluation: EvaluationMatrix) -> Matrix | None:
    """The stored matrix as the promotion gate reads it; None when its rows are not in the shape the
    evaluation writes."""
    try:
        rows = [
            MatrixRow(
                model=str(row["model"]),
                retrieval=bool(row["retrieval"]),
                scores=dict(row.get("scores") or {}),
            )
            for row in evaluation.rows
        ]
        perplexity = {str(k): float(v) for k, v in dict(evaluation.perplexity or {}).items() if v is not None}
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return Matrix(rows=rows, perplexity=perplexity, examples=evaluation.examples, seconds=evaluation.seconds)


def evaluation_gate(evaluation: EvaluationMatrix) -> Decision | None:
    """What the promotion gate says of a stored matrix with the current settings (None: it cannot read
    the matrix)."""
    matrix = stored_matrix(evaluation)
    if matrix is None:
        return None
    try:
        return decide(
            matrix,
            margin=settings.FINETUNE_PROMOTE_MARGIN,
            forgetting_limit=settings.FINETUNE_MAX_PERPLEXITY_RATIO,
        )
    except TypeError:  # a score that is not a number
        return None
