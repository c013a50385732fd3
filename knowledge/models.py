"""Documents, their immutable versions, and the chunks that search serves.

A document serves exactly one version at a time (`active_version`). A new version is chunked at once and
embedded in the background; it replaces the active one only when every chunk has a vector, so search
never sees a half-indexed document. Vectors are cached by (content hash, model): identical text is embedded
once, whichever document or version it appears in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Func, Value
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from support.core.models import ExternallyKeyed, TimeStampedModel, unique_external_id

from .embedding import RETRIEVER_PREFIX

LIVE = "live"


class RegConfigField(models.CharField):  # type: ignore[type-arg]
    """A Postgres text-search configuration (`regconfig`), read and written by its name ("german").

    Stored as a regconfig, not as text: `to_tsvector(regconfig, text)` is immutable, so a generated column
    may use it, while the cast of a text name to regconfig depends on the search path and may not. A name is
    stored as is, but compares with the column only cast (`RawSQL("%s::regconfig", ...)`): bare, Postgres
    takes it for an oid."""

    def db_type(self, connection: Any) -> str:
        return "regconfig"


def _cjk_line(number: int) -> Func:
    """Line `number` of `Chunk.cjk_bigrams`: the CJK pairs of the title (1), heading (2) or text (3)."""
    return Func(
        F("cjk_bigrams"), Value("\n"), Value(number), function="split_part", output_field=models.TextField()
    )


class Document(TimeStampedModel, ExternallyKeyed):
    class Kind(models.TextChoices):
        POLICY = "policy", "Policy"
        FAQ = "faq", "FAQ"
        TROUBLESHOOTING = "troubleshooting", "Troubleshooting"
        PRODUCT = "product", "Product"
        ANNOUNCEMENT = "announcement", "Announcement"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class Audience(models.TextChoices):
        PUBLIC = "public", "All customers"
        PLANS = "plans", "Customers on some plans"
        ORGANIZATIONS = "organizations", "Some organizations"
        INTERNAL = "internal", "Staff only"

    collection = models.CharField(
        max_length=80,
        default=LIVE,
        db_index=True,
        help_text="`live` is the knowledge base; evaluation runs use collections of their own.",
    )
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.POLICY)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    products = models.ManyToManyField("customers.Product", blank=True, related_name="documents")
    language = models.CharField(
        max_length=12,
        default="en",
        help_text="A language tag (en, de, pt-BR): as given, or detected from the text when none was.",
    )
    language_detected = models.BooleanField(
        default=False,
        help_text="The language was detected from the text, not given: a new version's text is detected "
        "again.",
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.PUBLIC)
    audience_plans = models.ManyToManyField("customers.Plan", blank=True, related_name="+")
    audience_organizations = models.ManyToManyField("customers.Organization", blank=True, related_name="+")
    audience_roles = ArrayField(
        models.CharField(max_length=32),
        default=list,
        blank=True,
        help_text="Staff roles that see an internal document.",
    )
    active_version = models.ForeignKey(
        "DocumentVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version search serves; set only once all its chunks are embedded.",
    )

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "slug"], name="document_collection_slug_unique"),
            unique_external_id("document_source_external_id_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="document_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    """One immutable text of a document, with how far its indexing has got."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        EMBEDDING = "embedding", "Embedding"
        ACTIVE = "active", "Active"
        SUPERSEDED = "superseded", "Superseded"
        FAILED = "failed", "Failed"

    class WarningKind(models.TextChoices):
        HIDDEN_CONTENT = "hidden_content", "Hidden content"
        PLANTED_INSTRUCTION = "planted_instruction", "Planted instruction"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    text = models.TextField()
    content_hash = models.CharField(max_length=64, db_index=True)
    source_file = models.FileField(upload_to="documents/%Y/%m/", null=True, blank=True, max_length=300)
    source_name = models.CharField(max_length=255, blank=True)
    source_format = models.CharField(max_length=16, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED, db_index=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_embedded = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="What the knowledge admin should look at, found when the version was made: a list of "
        '{"kind": "hidden_content" | "planted_instruction", "detail", "text", "score"}.',
    )

    class Meta:
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_document_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"


class Chunk(models.Model):
    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="chunks")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    collection = models.CharField(
        max_length=80,
        help_text="The document's collection, copied here so the search indexes can be split by it.",
    )
    ordinal = models.PositiveIntegerField()
    title = models.CharField(max_length=300, help_text="The document title when this version was made.")
    heading_path = ArrayField(models.CharField(max_length=300), default=list, blank=True)
    heading = models.CharField(max_length=1000, blank=True, help_text="heading_path joined by ' > '.")
    text = models.TextField()
    token_count = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64, db_index=True)
    # Typed in the database (`vector(N)`, which the HNSW index needs) with the dimension of the model search
    # serves; left out here so no migration fights it. A model switch retypes it (`vector_column`).
    embedding = VectorField(null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True)
    dirty = models.BooleanField(default=True, db_index=True, help_text="Needs a vector for the active model.")
    text_config = RegConfigField(
        max_length=63,
        default="english",
        db_default="english",
        help_text="The text-search configuration of the document's language (`languages.text_config`).",
    )
    cjk_bigrams = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="The CJK runs of title, heading and text as character pairs, one line each "
        "(`languages.cjk_bigram_lines`).",
    )
    # Title and headings weigh more than body text in keyword search. Each chunk is analysed in its
    # document's language; Chinese and Japanese by their character pairs, which no stemmer touches.
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=F("text_config"))
        + SearchVector("heading", weight="B", config=F("text_config"))
        + SearchVector("text", weight="C", config=F("text_config"))
        + SearchVector(_cjk_line(1), weight="A", config="simple")
        + SearchVector(_cjk_line(2), weight="B", config="simple")
        + SearchVector(_cjk_line(3), weight="C", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["version_id", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["version", "ordinal"], name="chunk_version_ordinal_unique"),
        ]
        # The live knowledge base has indexes of its own, so evaluation collections beside it never crowd
        # its candidate pools: the HNSW index holds live chunks only (other collections are searched
        # exactly; they are small), and each side of the split has its own full-text index.
        indexes = [
            # No pending list on the live index: every search would read it whole until a vacuum merges it.
            GinIndex(
                fields=["search_vector"],
                name="chunk_search_live_gin",
                condition=models.Q(collection=LIVE),
                fastupdate=False,
            ),
            GinIndex(
                fields=["search_vector"], name="chunk_search_other_gin", condition=~models.Q(collection=LIVE)
            ),
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
                condition=models.Q(collection=LIVE),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}#{self.ordinal}"


class EmbeddingCache(models.Model):
    """A vector per (content hash, model), so identical text is never embedded twice."""

    content_hash = models.CharField(max_length=64)
    model = models.CharField(max_length=200)
    embedding = VectorField()  # untyped (`vector`): the cache holds the vectors of several models
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_hash", "model"], name="embedding_cache_hash_model_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model}:{self.content_hash[:12]}"


class IndexState(models.Model):
    """The one row that says which embedding model search uses, and any switch in progress."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    active_model = models.CharField(max_length=200, blank=True)
    target_model = models.CharField(
        max_length=200, blank=True, help_text="Being re-embedded into; empty if none."
    )
    target_done = models.PositiveIntegerField(default=0)
    target_total = models.PositiveIntegerField(default=0)
    chosen_model = models.CharField(
        max_length=200,
        blank=True,
        help_text="An adapted retriever promoted in place of EMBEDDING_MODEL (while that is its base); "
        "empty: follow the setting.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="index_state_singleton")]

    def __str__(self) -> str:
        return self.active_model or "(no model)"


class KeywordCorpus(models.Model):
    """Per collection: how many searchable chunks there are and their mean length in lexemes, for BM25."""

    collection = models.CharField(max_length=80, primary_key=True)
    chunks = models.PositiveIntegerField(default=0)
    mean_length = models.FloatField(default=0.0)
    refreshed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.collection}: {self.chunks} chunks"


class KeywordStat(models.Model):
    """Document frequency of one lexeme among a collection's searchable chunks (the IDF of BM25).
    Rebuilt from the index by `keyword_stats_refresh`; slightly stale figures only nudge ranking."""

    collection = models.CharField(max_length=80)
    lexeme = models.TextField()
    df = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "lexeme"], name="keyword_stat_collection_lexeme"),
        ]

    def __str__(self) -> str:
        return f"{self.collection}:{self.lexeme}={self.df}"


class RelevancePair(models.Model):
    """One judgment that a passage does (or does not) answer a question, as the console forms questions:
    the retriever learns from these. Where it came from is kept (`source`, `source_key`), so a pair is
    recorded once, and the pairs of a customer who is erased or withdraws consent can be deleted."""

    class Source(models.TextChoices):
        CITATION_KEPT = "citation_kept", "Citation the agent kept"
        CITATION_REMOVED = "citation_removed", "Citation the agent removed"
        RESOLVED_REPLY = "resolved_reply", "Passage a resolved ticket's reply relied on"
        PRECEDENT = "precedent", "Passage cited by the precedent a draft reused"
        JUDGMENT = "judgment", "Marked in the search playground"
        IMPORT = "import", "Imported relevance file"

    query = models.TextField(help_text="The question as the console forms it, redacted.")
    passage = models.TextField(help_text="The passage as it is embedded (title and headings, then text).")
    relevant = models.BooleanField(default=True)
    document = models.ForeignKey(Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    content_hash = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, db_index=True)
    source_key = models.CharField(
        max_length=200,
        help_text="What the pair was made from (a suggestion, a ticket, a file row), unique per source.",
    )
    ticket_ref = models.BigIntegerField(null=True, blank=True, help_text="The ticket it came from, if any.")
    customer_ref = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="The customer whose question it is, if any."
    )
    created_by = models.CharField(max_length=150, blank=True)
    occurred_at = models.DateTimeField(
        default=timezone.now,
        db_index=True,
        help_text="When the question was asked: held-out pairs are the newest.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_key"], name="relevance_pair_source_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_key} ({'+' if self.relevant else '-'})"


class RetrieverRun(models.Model):
    """One adaptation of the embedding model to the pairs: what it was trained from and how, what it
    scored against the model it would replace on held-out pairs, and where its files are. A run that
    finishes is a candidate (it passed the gate) or rejected; promoting one makes search re-embed the
    library into it in the background, and the one before is kept for a rollback."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        TRAINING = "training", "Training"
        CANDIDATE = "candidate", "Candidate"
        REJECTED = "rejected", "Rejected"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"
        FAILED = "failed", "Failed"

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    base_model = models.CharField(max_length=300)
    data_hash = models.CharField(max_length=64, blank=True)
    config = models.JSONField(default=dict, blank=True)
    folder = models.CharField(max_length=200, blank=True, help_text="Under RETRIEVER_STORE.")
    pairs_train = models.PositiveIntegerField(default=0)
    pairs_held_out = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(
        default=dict, blank=True, help_text='Held-out figures: {"current": {...}, "adapted": {...}}.'
    )
    gate = models.JSONField(default=dict, blank=True, help_text='{"passed": bool, "reasons": [...]}')
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    training_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.CharField(max_length=150, blank=True)
    override_reason = models.TextField(blank=True)
    replaced_model = models.CharField(
        max_length=300, blank=True, help_text="The model search served before this one was promoted."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="active"), name="knowledge_one_active_retriever"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    @property
    def name(self) -> str:
        return f"retriever-r{self.pk}"

    @property
    def model_name(self) -> str:
        """How the embedding model is named where a model name is stored (chunks, caches, the index state)."""
        return f"{RETRIEVER_PREFIX}{self.name}"
