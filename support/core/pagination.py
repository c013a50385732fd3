from typing import Any

from rest_framework import pagination, serializers
from rest_framework.request import Request


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`; answers `count`, `next`, `previous`, `results`.

    A `page_size` that is not a whole number from 1 up is refused (DRF would quietly use the default instead,
    so a client's typo would look like missing rows); a larger one than `max_page_size` gets that many."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise serializers.ValidationError({"page_size": ["Must be a whole number from 1 up."]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            # Empty is the same as leaving it out: the first page, the default size.
            parameter["allowEmptyValue"] = True
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = "The page to answer, from 1; past the last page is a 404."
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Results per page, from 1; at most {self.max_page_size} are given."
                )
        return parameters
