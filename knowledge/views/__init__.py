"""Knowledge base over the API, by resource: documents (list, create, detail, change), uploads, versions
(list, store, read, restore, look up), and the index's status with the forms' options. Search ("hit testing")
is the console's (`assist.views.SearchApi`). The names here are what `support.urls` routes to."""

from .documents import DocumentDetailApi, DocumentListApi
from .index import IndexStatusApi, OptionsApi
from .retriever import RetrieverApi, RetrieverPromoteApi, RetrieverRollbackApi, RetrieverTrainApi
from .uploads import DocumentUploadApi
from .versions import VersionDetailApi, VersionListApi, VersionLookupApi, VersionRestoreApi

__all__ = [
    "DocumentDetailApi",
    "DocumentListApi",
    "DocumentUploadApi",
    "IndexStatusApi",
    "OptionsApi",
    "RetrieverApi",
    "RetrieverPromoteApi",
    "RetrieverRollbackApi",
    "RetrieverTrainApi",
    "VersionDetailApi",
    "VersionListApi",
    "VersionLookupApi",
    "VersionRestoreApi",
]
