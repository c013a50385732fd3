"""The fine-tuning loop over the API, for administrators: training examples (reject), dataset snapshots,
training runs (start, follow, cancel), the adapter registry (promote, roll back), evaluation matrices and
the cycle's decisions. One module per resource; this package's surface is the views `support/urls.py`
routes."""

from .adapters import AdapterDetailApi, AdapterListApi, AdapterPromoteApi, AdapterRollbackApi
from .evaluations import EvaluationDetailApi, EvaluationListApi
from .events import EventListApi
from .examples import ExampleListApi, ExampleRejectApi
from .runs import RunCancelApi, RunDetailApi, RunListApi
from .snapshots import SnapshotListApi

__all__ = [
    "AdapterDetailApi",
    "AdapterListApi",
    "AdapterPromoteApi",
    "AdapterRollbackApi",
    "EvaluationDetailApi",
    "EvaluationListApi",
    "EventListApi",
    "ExampleListApi",
    "ExampleRejectApi",
    "RunCancelApi",
    "RunDetailApi",
    "RunListApi",
    "SnapshotListApi",
]
