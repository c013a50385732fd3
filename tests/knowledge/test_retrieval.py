"""Hybrid retrieval with the real embedding model, filtered by rights in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge import api, embedding, indexing, keyword_stats, keywords, retrieval, services, visibility
from knowledge.contracts import RetrievalScope
from knowledge.models import Chunk, KeywordCorpus, KeywordStat
from knowledge.query import TitleIndex, Turn, conversation_focus, keyword_text
from tests import factories

pytestmark = pytest.mark.django_db

LIBRARY = {
    "refunds": (
        "Refunds for software",
        "public",
        {},
        "# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge.",
    ),
    "sla": (
        "Enterprise SLA and service credits",
        "plans",
        {"plans": ["enterprise"]},
        "# SLA\n\nEnterprise customers get service credits when monthly uptime falls below 99.9 percent.",
    ),
    "harlow": (
        "Harlow Group addendum",
        "organizations",
        {"organizations": ["harlow"]},
        "# Returns\n\nHarlow Group may return unused hardware within 60 days of delivery.",
    ),
    "limits": (
        "Refund approval limits",
        "internal",
        {"roles": ["agent"]},
        "# Limits\n\nAgents may approve refunds up to 500 EUR; above that a team lead approves.",
    ),
    "twofa": (
        "Two-factor reset",
        "public",
        {},
        "# Lost phone\n\nTo reset two-factor authentication we verify the account owner's identity first.",
    ),
}


def _index(slug, title, audience, extra, text, **fields):
    return factories.indexed_document(
        title=title, text=text, slug=slug, audience=audience, meta=extra, **fields
    )


@pytest.fixture
def library():
    factories.plan("enterprise")
    factories.plan("starter")
    factories.organization(slug="harlow", name="Harlow Group")
    return {slug: _index(slug, *spec) for slug, spec in LIBRARY.items()}


def _slugs(results):
    return [r.document_slug for r in results]


@pytest.mark.parametrize(
    "scope",
    [
        RetrievalScope(),
        RetrievalScope(staff_roles=frozenset({"administrator"})),
        RetrievalScope(staff_roles=frozenset({"agent", "knowledge_admin"}), language="de"),
        RetrievalScope(for_customer=True, customer_plan="pro", products=("api",), language="en"),
        RetrievalScope(
            staff_roles=frozenset({"agent"}),
            for_customer=True,
            customer_plan="starter",
            customer_organization="acme",
            products=("api", "books", "mobile"),
            on_date=timezone.localdate() - timedelta(days=400),
            collection="eval:x",
        ),
        RetrievalScope(for_customer=True, customer_organization="o'brien; drop", language=""),
    ],
)
def test_the_rights_rule_filled_into_its_cached_shape_is_the_rule_itself(scope):
    # The rule is built once per scope shape with placeholders; filled in, it must be exactly what the
    # ORM builds for the scope itself, values in the same places.
    first = visibility.allowed_cte(scope, None)
    assert first == visibility._allowed_sql_build(scope, None)
    assert visibility.allowed_cte(scope, None) == first  # from the cache
    assert not any("\x00" in str(param) for param in first[1])


def test_semantic_question_finds_the_right_policy_first(library):
    results = api.retrieve(
        "I lost my phone and cannot log in with my authenticator",
        scope=RetrievalScope(for_customer=True, customer_plan="starter"),
        k=3,
    )
    assert _slugs(results)[0] == "twofa"
    top = results[0]
    assert top.vector_score is not None
    assert top.fused_score > 0
    assert top.heading_path == ("Lost phone",)


def test_keyword_and_vector_scores_are_reported_and_fused(library):
    results = api.retrieve("refundable within 14 days", scope=RetrievalScope(), k=5)
    assert results[0].document_slug == "refunds"
    refunds = results[0]
    assert refunds.keyword_score is not None
    assert refunds.keyword_score > 0
    assert refunds.vector_score is not None
    assert [r.fused_score for r in results] == sorted((r.fused_score for r in results), reverse=True)
    # Every candidate is scored on both sides, even one that only the vector search found.
    assert all(r.vector_score is not None for r in results)


def test_reciprocal_rank_fusion_is_available(library, settings):
    settings.RETRIEVAL_FUSION = "rrf"
    results = api.retrieve("refundable within 14 days", scope=RetrievalScope(), k=5)
    refunds = next(r for r in results if r.document_slug == "refunds")
    assert refunds.fused_score == pytest.approx(
        1 / (60 + refunds.vector_rank) + 1 / (60 + refunds.keyword_rank)
    )


def test_keyword_ranking_weighs_rare_words_and_titles(library):
    # "refundable" is in one document, "days" in several: BM25 lets the rare word decide.
    scope = RetrievalScope()
    ranked = [r.document_slug for r in api.retrieve("refundable days", scope=scope, k=3, use_vectors=False)]
    assert ranked[0] == "refunds"
    # The statistics were counted on first use: every searchable chunk, each lexeme's document frequency.
    assert KeywordCorpus.objects.get(collection="live").chunks == 5
    stats = dict(KeywordStat.objects.filter(collection="live").values_list("lexeme", "df"))
    assert stats["day"] == 2
    assert stats["harlow"] == 1


def test_fuse_standardises_each_side_over_the_pool():
    dense = [(1, 0.9), (2, 0.5)]
    sparse = [(2, 8.0), (3, 1.0)]
    scores = {1: (0.9, 0.0), 2: (0.5, 8.0), 3: (0.4, 1.0)}
    fused = retrieval.fuse(dense, sparse, scores, method="score", vector_weight=0.5)
    assert max(fused, key=fused.get) == 2  # a strong keyword match with a fair vector score wins
    only_vectors = retrieval.fuse(dense, [], scores, method="score", vector_weight=0.5)
    assert max(only_vectors, key=only_vectors.get) == 1


def test_customers_see_public_and_their_own_restricted_documents_only(library):
    starter = RetrievalScope(for_customer=True, customer_plan="starter")
    enterprise_harlow = RetrievalScope(
        for_customer=True, customer_plan="enterprise", customer_organization="harlow"
    )
    query = "service credits uptime hardware returns refunds"
    assert set(_slugs(api.retrieve(query, scope=starter, k=10))) == {"refunds", "twofa"}
    assert set(_slugs(api.retrieve(query, scope=enterprise_harlow, k=10))) == {
        "refunds",
        "twofa",
        "sla",
        "harlow",
    }


def test_internal_documents_need_a_staff_role_that_may_read_them(library):
    query = "approve refunds up to 500 EUR"
    assert "limits" not in _slugs(api.retrieve(query, scope=RetrievalScope(for_customer=True), k=10))
    assert "limits" not in _slugs(
        api.retrieve(query, scope=RetrievalScope(staff_roles=frozenset({"integration"})))
    )
    assert _slugs(api.retrieve(query, scope=RetrievalScope(staff_roles=frozenset({"agent"})), k=1)) == [
        "limits"
    ]


def test_drafts_archived_and_expired_documents_are_never_retrieved(library):
    services.document_set_status(document=library["refunds"], status="archived")
    services.document_update(document=library["twofa"], valid_until=timezone.localdate() - timedelta(days=1))
    found = _slugs(api.retrieve("refunds two-factor", scope=RetrievalScope(), k=10))
    assert "refunds" not in found
    assert "twofa" not in found


def test_a_half_indexed_new_version_is_not_served(library):
    document = library["refunds"]
    services.version_create(
        document=document, text="# Refunds\n\nNo refunds at all, ever.", embed_async=False
    )
    results = api.retrieve("refunds", scope=RetrievalScope(), k=10)
    texts = [r.text for r in results if r.document_slug == "refunds"]
    assert texts == ["Monthly subscriptions are refundable in full within 14 days of the charge."]


def test_filtered_search_still_returns_k_results():
    for i in range(30):
        services.document_create(
            title=f"Doc {i}",
            text=f"# Topic {i}\n\nShipping note number {i}.",
            slug=f"doc-{i}",
            status="published",
            language="de" if i % 3 else "en",
            embed_async=False,
        )
    indexing.chunks_embed_batch(limit=100)
    from knowledge.models import DocumentVersion

    for version in DocumentVersion.objects.all():
        indexing.version_activate(version=version)
    results = api.retrieve("shipping note", scope=RetrievalScope(language="en"), k=8)
    assert len(results) == 8
    # An index pool too narrow for the filter falls back to an exact scan of just the allowed chunks.
    vector = embedding.embed(["shipping note"])[0]
    nearest = retrieval.vector_candidates(RetrievalScope(language="en"), vector, limit=8, widths=(5,))
    assert len(nearest) == 8
    assert [s for _, s in nearest] == sorted((s for _, s in nearest), reverse=True)


def test_candidate_words_are_the_rarest_within_the_budget():
    frequencies = [("zeta", 3), ("refund", 40), ("invoice", 900), ("account", 5000)]
    assert keywords._selecting(frequencies, 10_000, 1000) == (("zeta", "refund", "invoice"), False)
    assert keywords._selecting(frequencies, 10_000, 100) == (("zeta", "refund"), False)
    # Every word common: chunks holding all of the rarest few (expected 10000 * 0.2 * 0.3 = 600 <= 1000).
    common = [("hotel", 2000), ("room", 3000), ("book", 6000)]
    assert keywords._selecting(common, 10_000, 1000) == (("hotel", "room"), True)
    assert keywords._selecting(common, 10_000, 100) == (("hotel", "room", "book"), True)
    # A single common word picks nothing: the vector side's candidates are scored on it.
    assert keywords._selecting([("hotel", 2000)], 10_000, 1000) == ((), False)
    assert keywords._selecting([], 10_000, 1000) == ((), False)


def test_common_words_pick_the_chunks_holding_all_of_them(settings):
    for i in range(40):
        both = i % 10 == 0
        services.document_create(
            title=f"Note {i}",
            text=f"# Note {i}\n\nThe invoice lists item {i}." + (" A refund was issued." if both else ""),
            slug=f"note-{i}",
            status="published",
            embed_async=False,
        )
    for i in range(40, 60):
        services.document_create(
            title=f"Memo {i}",
            text=f"# Memo {i}\n\nA refund of item {i} is pending.",
            slug=f"memo-{i}",
            status="published",
            embed_async=False,
        )
    indexing.chunks_embed_batch(limit=200)
    from knowledge.models import DocumentVersion

    for version in DocumentVersion.objects.all():
        indexing.version_activate(version=version)
    keyword_stats.keyword_stats_refresh(collection="live")
    settings.KEYWORD_POSTINGS_BUDGET = 10  # below both words' frequencies (40 and 24 chunks of 60)
    scope = RetrievalScope()
    terms = keywords.keyword_terms(scope, "invoice refund")
    assert terms is not None
    assert terms.conjunctive
    assert set(terms.selecting) == {"invoic", "refund"}
    found = retrieval.keyword_candidates(scope, "invoice refund", limit=10, terms=terms)
    assert {f"note-{i}" for i in range(0, 40, 10)} == set(
        Chunk.objects.filter(id__in=[cid for cid, _ in found]).values_list("document__slug", flat=True)
    )


def test_diversity_limits_chunks_per_document():
    long_text = "# Refunds\n\n" + "\n\n".join(
        f"## Case {i}\n\nRefund case {i} explained in detail." for i in range(12)
    )
    document = services.document_create(
        title="Refund cases", text=long_text, status="published", embed_async=False
    )
    indexing.version_embed(version_id=document.versions.get().pk)
    other = services.document_create(
        title="Refund summary", text="# Summary\n\nRefunds in short.", status="published", embed_async=False
    )
    indexing.version_embed(version_id=other.versions.get().pk)
    results = api.retrieve("refund case", scope=RetrievalScope(), k=5, max_per_document=2)
    assert [r.document_id for r in results].count(document.pk) == 2
    assert other.pk in [r.document_id for r in results]


def test_search_api_hit_testing_as_a_customer(library, admin_api):
    customer = factories.customer(plan=factories.plan("enterprise"))
    response = admin_api.post(
        "/api/v1/knowledge/search",
        {"query": "uptime service credits", "k": 3, "customer": customer.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    first = response.json()["results"][0]
    assert first["document_slug"] == "sla"
    assert {"vector_score", "keyword_score", "fused_score"} <= set(first)
    as_get = admin_api.get("/api/v1/knowledge/search?query=uptime&k=2")
    assert as_get.status_code == 200
    assert len(as_get.json()["results"]) <= 2


def test_search_api_rejects_bad_input(agent_api, library):
    assert agent_api.post("/api/v1/knowledge/search", {"query": ""}, format="json").status_code == 400
    assert (
        agent_api.post("/api/v1/knowledge/search", {"query": "x", "k": 0}, format="json").status_code == 400
    )
    assert (
        agent_api.post(
            "/api/v1/knowledge/search", {"query": "x", "customer": 10**30}, format="json"
        ).status_code
        == 400
    )
    assert (
        agent_api.post(
            "/api/v1/knowledge/search", {"query": "x", "role": "administrator"}, format="json"
        ).status_code
        == 403
    )


def test_keyword_text_drops_conversational_filler_only():
    assert keyword_text("Hi! Could you please tell me if the Wi-Fi is fast?") == "you me if the wi fi is fast"


def test_titles_named_in_a_conversation_become_the_focus():
    index = TitleIndex.build(
        ["Hobsons House", "A and B Guest House", "Pizza Hut City Centre", "Pizza Hut Fen Ditton", "The Place"]
    )
    turns = [
        Turn("user", "We stayed at the Hobsons house last year."),
        Turn("agent", "Lovely. Anything else?"),
        Turn("user", "Does the Pizza Hut in the city centre deliver?"),
    ]
    assert conversation_focus(turns, index) == ("Pizza Hut City Centre",)
    # The latest turn naming something wins; a turn naming nothing keeps the earlier focus.
    assert conversation_focus([*turns, Turn("user", "And do they take cards?")], index) == (
        "Pizza Hut City Centre",
    )
    assert conversation_focus([Turn("user", "Compare A & B guest house with Hobsons House")], index) == (
        "A and B Guest House",
        "Hobsons House",
    )
    assert conversation_focus([Turn("user", "any pizza place?")], index) == ()


def test_a_named_document_leads_the_results(library):
    scope = RetrievalScope(staff_roles=frozenset({"administrator"}))
    plain = api.retrieve("can I get my money back", scope=scope, k=5, max_per_document=1)
    formed = api.conversation_query(
        [Turn("customer", "About the Harlow Group addendum."), Turn("customer", "Can I get my money back?")],
        scope=scope,
    )
    assert formed.focus_titles == ("Harlow Group addendum",)
    focused = api.retrieve(
        formed.text, scope=scope, k=5, max_per_document=1, focus_titles=formed.focus_titles
    )
    assert _slugs(focused)[0] == "harlow"
    assert _slugs(plain)[0] != "harlow"


def _plan(sql, params):
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # A tiny table would be scanned whole; forbid that to see which indexes a statement can use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_embeddings_are_stored_in_the_chunk_rows_not_in_toast(library):
    # Distances are computed on the heap; an embedding moved out to the TOAST table costs a lookup each.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions, (SELECT count(*) FROM knowledge_chunk) FROM pg_class "
            "WHERE relname = 'knowledge_chunk'"
        )
        options, chunks = cursor.fetchone()
        cursor.execute(
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'knowledge_chunk'"
        )
        (toast_bytes,) = cursor.fetchone()
    assert "toast_tuple_target=4080" in options
    assert chunks > 0
    assert toast_bytes == 0


def test_live_and_evaluation_collections_use_their_own_indexes(library):
    """Live chunks have the HNSW index and a full-text index to themselves; evaluation collections
    have the other full-text index (and exact vector scans)."""
    vector = embedding.vector_literal(embedding.embed(["refund of a subscription"])[0])
    cte, cte_params, nearest, nearest_params = retrieval._nearest_parts(vector, 200, 10)
    sql, params = retrieval._statement(
        [visibility.allowed_cte(RetrievalScope(), None), (cte, cte_params)], [(nearest, nearest_params)]
    )
    assert "chunk_embedding_hnsw" in _plan(sql, params)
    # The same condition on the collection as keyword candidates use (see keywords.keyword_select).
    words = "SELECT id FROM knowledge_chunk c WHERE c.collection = %s AND c.search_vector @@ %s::tsquery"
    live = _plan(words, ["live", "'refund'"])
    assert "chunk_search_live_gin" in live
    assert "chunk_search_other_gin" not in live
    other = _plan(words, ["eval-test", "'refund'"])
    assert "chunk_search_other_gin" in other
    assert "chunk_search_live_gin" not in other
    assert (
        "c.collection = %s AND c.search_vector @@ %s::tsquery"
        in keywords.keyword_select("live", keywords.keyword_terms(RetrievalScope(), "refund"), 10)[0]
    )


def test_a_retrieval_hands_back_its_vector_for_a_second_search(library):
    first = api.retrieve_with_status("refund of a subscription", scope=RetrievalScope())
    assert first.vector is not None
    assert len(first.vector) == 384
    again = api.retrieve_with_status("refund of a subscription", scope=RetrievalScope(), vector=first.vector)
    assert again.vector_search == "used"
    assert [c.chunk_id for c in again.chunks] == [c.chunk_id for c in first.chunks]


def test_a_scope_that_may_see_nothing_does_not_widen_its_vector_search(library, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # A pool of four nearest chunks out of the library's five: a short answer would otherwise ask for more.
    monkeypatch.setattr(retrieval, "HYBRID_MIN_WIDTH", 4)
    vector = embedding.embed(["refund of a subscription"])[0]

    def nearest_statements(scope, minimum):
        with CaptureQueriesContext(connection) as queries:
            dense, _ = retrieval._hybrid_candidates(scope, vector, None, pool=1, minimum=minimum)
        return dense, sum("nearest AS MATERIALIZED" in q["sql"] for q in queries.captured_queries)

    # No document in that language: nothing to widen into, one statement.
    assert nearest_statements(RetrievalScope(language="xx"), 3) == ([], 1)
