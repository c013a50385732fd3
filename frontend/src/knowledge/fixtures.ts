// Test data shaped like the API's answers.
import type { Indexing, KnowledgeDocument, Options, SearchResult, Version, VersionDetail } from "./api";

export function indexing(state: string, embedded = 0, total = 0, error: string | null = null, version: number | null = 1): Indexing {
  return { version, state, embedded, total, error };
}

export function doc(fields: Partial<KnowledgeDocument> = {}): KnowledgeDocument {
  return {
    id: 1,
    title: "Refund policy",
    slug: "refund-policy",
    kind: "policy",
    status: "draft",
    language: "en",
    audience: "public",
    audience_plans: [],
    audience_organizations: [],
    audience_roles: [],
    products: [],
    valid_from: null,
    valid_until: null,
    owner: "kim",
    active_version: 11,
    active_version_number: 2,
    latest_version: 2,
    indexing: indexing("active", 3, 3, null, 2),
    warnings: [],
    active_version_warnings: 0,
    source: "api",
    external_id: "",
    created_at: "2026-01-05T10:00:00Z",
    updated_at: "2026-01-06T10:00:00Z",
    ...fields,
  };
}

export function version(number: number, fields: Partial<VersionDetail> = {}): VersionDetail {
  return {
    id: 10 + number,
    number,
    title: "Refund policy",
    content_hash: `hash${number}`,
    author: "kim",
    note: number === 1 ? "Created" : "",
    created_at: `2026-01-0${number}T10:00:00Z`,
    state: "active",
    chunks_total: 3,
    chunks_embedded: 3,
    last_error: "",
    activated_at: null,
    source_name: "",
    source_format: "",
    source_file: null,
    warnings: [],
    text: `# Refunds\n\nVersion ${number} text.`,
    ...fields,
  };
}

export function versionRow(number: number, fields: Partial<Version> = {}): Version {
  const { text: _text, ...rest } = version(number, fields as Partial<VersionDetail>);
  void _text;
  return rest;
}

export const OPTIONS: Options = {
  kinds: [
    { value: "policy", label: "Policy" },
    { value: "faq", label: "FAQ" },
    { value: "troubleshooting", label: "Troubleshooting" },
  ],
  statuses: [
    { value: "draft", label: "Draft" },
    { value: "published", label: "Published" },
    { value: "archived", label: "Archived" },
  ],
  audiences: [
    { value: "public", label: "All customers" },
    { value: "plans", label: "Customers on some plans" },
    { value: "organizations", label: "Some organizations" },
    { value: "internal", label: "Staff only" },
  ],
  states: [
    { value: "queued", label: "Queued" },
    { value: "embedding", label: "Embedding" },
    { value: "active", label: "Active" },
    { value: "superseded", label: "Superseded" },
    { value: "failed", label: "Failed" },
  ],
  roles: [
    { value: "agent", label: "Agent" },
    { value: "knowledge_admin", label: "Knowledge admin" },
    { value: "administrator", label: "Administrator" },
  ],
  languages: ["de", "en"],
  products: [
    { value: "books", label: "Quill Books" },
    { value: "payroll", label: "Quill Payroll" },
  ],
  plans: [
    { value: "starter", label: "Starter" },
    { value: "growth", label: "Growth" },
    { value: "enterprise", label: "Enterprise" },
  ],
  organizations: [{ value: "hobsons", label: "Hobsons House" }],
  owners: [
    { value: "kim", label: "Kim Knowledge" },
    { value: "ada", label: "Ada Admin" },
  ],
};

export function hit(fields: Partial<SearchResult> = {}): SearchResult {
  return {
    chunk_id: 100,
    document_id: 7,
    version_id: 71,
    document_title: "Card reader returns",
    document_slug: "card-reader-returns",
    kind: "policy",
    heading_path: ["Returns", "Hardware"],
    text: "Return an unused card reader within 30 days.",
    vector_score: 0.8123,
    keyword_score: 4.5,
    fused_score: 1.9876,
    vector_rank: 1,
    keyword_rank: 2,
    ...fields,
  };
}
