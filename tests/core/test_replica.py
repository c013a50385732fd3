"""DATABASE_REPLICA_URL: retrieval reads go to the replica, everything else (and anything inside a write
transaction) to the primary. The routing rules in-process; then a real second connection, in a process
whose settings have the replica, searching a committed library."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, transaction

from knowledge import keyword_stats as knowledge_keyword_stats
from knowledge.models import Chunk, Document
from support.core import replica
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def configured(monkeypatch):
    monkeypatch.setattr(replica, "replica_configured", lambda: True)


def test_without_a_replica_everything_reads_the_primary():
    router = replica.ReplicaRouter()
    with replica.retrieval_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert router.db_for_read(Chunk) is None


def test_retrieval_reads_go_to_the_replica_and_nothing_else_does(configured):
    router = replica.ReplicaRouter()
    assert router.db_for_read(Document) is None
    with replica.retrieval_reads() as alias:
        assert alias == replica.REPLICA
        assert router.db_for_read(Chunk) == replica.REPLICA
        assert router.db_for_write(Chunk) is None
        with replica.primary_reads():
            assert replica.read_alias() == DEFAULT_DB_ALIAS
            assert router.db_for_read(Chunk) is None
        assert replica.read_alias() == replica.REPLICA
    assert router.db_for_read(Chunk) is None


@pytest.mark.django_db
def test_inside_a_write_transaction_retrieval_reads_the_primary(configured):
    # Its own uncommitted rows exist on the primary only.
    with transaction.atomic(), replica.retrieval_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS


def test_the_replica_is_never_migrated_and_rows_may_relate_across():
    router = replica.ReplicaRouter()
    assert router.allow_migrate(replica.REPLICA, "knowledge") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "knowledge") is None
    a, b = Document(), Document()
    a._state.db, b._state.db = DEFAULT_DB_ALIAS, replica.REPLICA
    assert router.allow_relation(a, b) is True


_SEARCH = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.db import connections, transaction
    from knowledge import api, retrieval
    from knowledge.contracts import RetrievalScope
    from knowledge.models import Document

    vector, text = json.loads(sys.stdin.read())
    seen = {"default": [], "replica": []}

    def recorder(alias):
        def record(execute, sql, params, many, context):
            seen[alias].append(sql)
            return execute(sql, params, many, context)
        return record

    def searched(**kwargs):
        found = api.retrieve_with_status(text, scope=RetrievalScope(), k=3, vector=vector, **kwargs)
        return [c.document_title for c in found.chunks]

    with connections["default"].execute_wrapper(recorder("default")), \\
            connections["replica"].execute_wrapper(recorder("replica")):
        titles = searched()
        retrieval.title_index("live")
        listed = Document.objects.filter(collection="live").count()
        outside = dict(seen)
        seen = {"default": [], "replica": []}
        with transaction.atomic():
            in_transaction = searched()
    print(json.dumps({"titles": titles, "listed": listed, "outside": outside, "inside": seen,
                      "in_transaction": in_transaction}))
    """
)


@pytest.mark.django_db(transaction=True)
def test_search_reads_the_replica_connection_and_finds_the_committed_library(django_subprocess_env):
    factories.indexed_document(
        title="Refunds for software",
        text="# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge.",
    )
    vector = [float(x) for x in Chunk.objects.get().embedding]
    # Count the keyword statistics now: publishing also queues a recount, and a worker that some earlier
    # test started may run it at any moment, so whether the search below would count them first is chance.
    knowledge_keyword_stats.keyword_stats_refresh(collection="live")
    url = django_subprocess_env["DATABASE_URL"]
    # The same server and database under a second alias: what the replica sees, the test can check.
    environment = {**django_subprocess_env, "DATABASE_REPLICA_URL": url}
    result = subprocess.run(
        [sys.executable, "-c", _SEARCH],
        cwd=ROOT,
        env=environment,
        input=json.dumps([vector, "refund monthly subscription"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["titles"] == ["Refunds for software"]
    assert found["in_transaction"] == ["Refunds for software"]
    replica_reads = " ".join(found["outside"]["replica"])
    primary = found["outside"]["default"]
    assert "knowledge_chunk" in replica_reads
    assert "hnsw.ef_search" in replica_reads
    assert "knowledge_keywordcorpus" in replica_reads  # keyword statistics and the title index
    # The primary saw the document count outside retrieval, and no search statement nor keyword read.
    assert not any("hnsw.ef_search" in sql for sql in primary)
    assert not any("knowledge_keywordstat" in sql for sql in primary)
    assert any('COUNT(*) AS "__count" FROM "knowledge_document"' in sql for sql in primary)
    assert found["listed"] == 1
    # Inside a write transaction the search ran on the primary.
    assert found["inside"]["replica"] == []
    assert any("hnsw.ef_search" in sql for sql in found["inside"]["default"])
