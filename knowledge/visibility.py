"""What a search may see: the one rule on documents (audience, status, validity, products, language) that
every search and every document list goes through, as a filter for the ORM and as the `allowed` CTE that the
search statements probe."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from support.core import roles

from .contracts import RetrievalScope
from .models import Chunk, Document


def document_visibility(scope: RetrievalScope) -> Q:
    """Which documents a search may see, as a filter on Document: audience, status, validity, products and
    language. Every search and every document list goes through this one rule.

    The relation checks are uncorrelated `IN (subquery)` tests, which Postgres evaluates once into a hash
    table, rather than `EXISTS` subqueries it would rerun for every document."""
    today = scope.on_date or timezone.localdate()
    rule = Q(collection=scope.collection)
    rule &= Q(valid_from__isnull=True) | Q(valid_from__lte=today)
    rule &= Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    if scope.language:
        rule &= Q(language=scope.language)
    if scope.products:
        tagged = Document.products.through.objects.values("document_id")
        rule &= ~Q(pk__in=tagged) | Q(pk__in=tagged.filter(product__code__in=scope.products))
    audience = Q(audience=Document.Audience.PUBLIC)
    if roles.ADMINISTRATOR in scope.staff_roles:
        audience |= Q(audience=Document.Audience.INTERNAL)
    elif scope.staff_roles:
        audience |= Q(audience=Document.Audience.INTERNAL, audience_roles__overlap=sorted(scope.staff_roles))
    if scope.for_customer:
        plans = Document.audience_plans.through.objects.values("document_id")
        orgs = Document.audience_organizations.through.objects.values("document_id")
        if scope.customer_plan:
            audience |= Q(
                pk__in=plans.filter(plan__code=scope.customer_plan), audience=Document.Audience.PLANS
            )
        if scope.customer_organization:
            audience |= Q(
                pk__in=orgs.filter(organization__slug=scope.customer_organization),
                audience=Document.Audience.ORGANIZATIONS,
            )
    elif scope.staff_roles:
        # Staff searching without a customer (hit testing) see restricted documents too.
        audience |= Q(audience__in=[Document.Audience.PLANS, Document.Audience.ORGANIZATIONS])
    return rule & audience


def _active_versions(scope: RetrievalScope, restrict: Q | None = None) -> QuerySet[Document, Any]:
    """`active_version_id` of each published document the scope may see (and `restrict`, a filter on
    Document, keeps): the one definition of what a search may return, before chunk state."""
    return (
        Document.objects.filter(document_visibility(scope), restrict or Q(), status=Document.Status.PUBLISHED)
        .exclude(active_version__isnull=True)
        .order_by()
        .values("active_version_id")
    )


def visible_versions(scope: RetrievalScope, restrict: Q | None = None) -> list[int]:
    """The active versions of the published documents the scope may see (and `restrict` keeps). A search
    reads these once; its statements then keep only chunks of these versions, which Postgres checks with a
    hash lookup instead of re-evaluating the rights rule for every chunk."""
    return sorted(row["active_version_id"] for row in _active_versions(scope, restrict))


def searchable_chunks(scope: RetrievalScope) -> QuerySet[Chunk]:
    """Chunks of the active version of published documents the scope may see."""
    return Chunk.objects.filter(version_id__in=_active_versions(scope), dirty=False)


def allowed_cte(scope: RetrievalScope, restrict: Q | None) -> tuple[str, list[Any]]:
    """`allowed(version_id)`: the active versions of the documents the scope may see (and `restrict`, a
    filter on Document, keeps), as a CTE that a statement evaluates once and then probes by hash."""
    if restrict is not None:
        return _allowed_sql_build(scope, restrict)
    # Building the rule with the ORM costs more than running it, and every search needs it. The SQL depends
    # only on the scope's shape (which fields are set, how many products, which staff roles), so it is built
    # once per shape from a template scope holding placeholders, and each search fills in its own values.
    shape = (
        scope.staff_roles,
        scope.for_customer,
        len(scope.products),
        bool(scope.language),
        bool(scope.customer_plan),
        bool(scope.customer_organization),
    )
    sql, template = _allowed_template(shape)
    values: dict[Any, Any] = {
        _PLACEHOLDER_DATE: scope.on_date or timezone.localdate(),
        "\x00collection": scope.collection,
        "\x00language": scope.language,
        "\x00plan": scope.customer_plan,
        "\x00organization": scope.customer_organization,
        **{f"\x00product{index}": code for index, code in enumerate(scope.products)},
    }
    return sql, [values.get(param, param) if isinstance(param, str | date) else param for param in template]


_PLACEHOLDER_DATE = date(1, 1, 1)


@functools.lru_cache(maxsize=256)
def _allowed_template(
    shape: tuple[frozenset[str], bool, int, bool, bool, bool],
) -> tuple[str, tuple[Any, ...]]:
    staff_roles, for_customer, products, language, plan, organization = shape
    template = RetrievalScope(
        staff_roles=staff_roles,
        for_customer=for_customer,
        products=tuple(f"\x00product{index}" for index in range(products)),
        language="\x00language" if language else None,
        customer_plan="\x00plan" if plan else None,
        customer_organization="\x00organization" if organization else None,
        on_date=_PLACEHOLDER_DATE,
        collection="\x00collection",
    )
    sql, params = _allowed_sql_build(template, None)
    return sql, tuple(params)


def _allowed_sql_build(scope: RetrievalScope, restrict: Q | None) -> tuple[str, list[Any]]:
    sql, params = _active_versions(scope, restrict).query.sql_with_params()
    return f"allowed(version_id) AS MATERIALIZED ({sql})", list(params)
