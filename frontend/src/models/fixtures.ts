// Test data for the models dashboard, in the API's own shapes, and a fake server answering every endpoint the
// dashboard asks (empty lists unless a test says otherwise).
import type { Schemas } from "../api/client";
import { ADMINISTRATOR, fakeServer, page, type Answer } from "../test/server";

const HASH = "3f9a0c2b7d4e5f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a";

export function aRun(fields: Partial<Schemas["RunOutput"]> = {}): Schemas["RunOutput"] {
  return {
    id: 12,
    snapshot: 3,
    snapshot_hash: HASH,
    base_model: "/data/demo-model",
    base_model_label: null,
    base_revision: "",
    config: { rank: 8, epochs: 1, target_modules: ["q_proj", "v_proj"] },
    status: "succeeded",
    step: 3,
    total_steps: 3,
    loss: 2.25,
    learning_rate: 0.0002,
    tokens_per_second: 812.5,
    peak_memory_mb: 640,
    losses: [
      [1, 3.5],
      [2, 2.75],
      [3, 2.25],
    ],
    error: "",
    cancel_requested: false,
    requested_by: "schedule",
    adapter: "style-r12",
    created_at: "2026-11-20T02:00:00Z",
    started_at: "2026-11-20T02:00:05Z",
    heartbeat_at: "2026-11-20T02:04:00Z",
    finished_at: "2026-11-20T02:04:00Z",
    ...fields,
  };
}

export function aSnapshot(fields: Partial<Schemas["SnapshotOutput"]> = {}): Schemas["SnapshotOutput"] {
  return {
    id: 3,
    content_hash: HASH,
    folder: HASH.slice(0, 16),
    train_count: 40,
    eval_count: 10,
    preference_count: 4,
    stats: {
      examples: 56,
      kept: 50,
      left_out: { duplicate: 2, rejected: 1, stale: 0, too_short: 3 },
      train: 40,
      eval: 10,
      preference: 4,
      outcomes: { accepted: 30, edited: 16, rewritten: 4 },
      backfilled: 12,
      eval_from: "2026-11-18T09:00:00Z",
      reply_chars: { mean: 320.4, median: 300, max: 1200 },
      redacted: { EMAIL: 5, PHONE: 2 },
    },
    config: { eval_fraction: 0.2, min_reply_chars: 20, max_age_days: 365 },
    newest_example_at: "2026-11-19T17:00:00Z",
    withdrawn_at: null,
    created_at: "2026-11-20T02:00:00Z",
    ...fields,
  };
}

export function anAdapter(fields: Partial<Schemas["AdapterOutput"]> = {}): Schemas["AdapterOutput"] {
  return {
    id: 5,
    name: "style-r12",
    base_model: "/data/demo-model",
    base_model_label: null,
    base_revision: "",
    snapshot: 3,
    run: 12,
    dataset_hash: HASH,
    config: {},
    metrics: {
      rows: [{ model: "candidate", retrieval: true, scores: { chrf: 0.4123, grounded_rate: 0.91 } }],
      perplexity: { base: 20.5, candidate: 22.25 },
      examples: 10,
      seconds: 80,
    },
    status: "candidate",
    is_active: false,
    promoted_by: "",
    promoted_at: null,
    created_at: "2026-11-20T02:05:00Z",
    ...fields,
  };
}

const ROWS: Schemas["MatrixRowOutput"][] = [
  { model: "extractive", retrieval: true, scores: { chrf: 0.3, rouge_l: 0.25, grounded_rate: 1.0, style: 0.5, semantic_similarity: null } },
  { model: "base", retrieval: true, scores: { chrf: 0.31, rouge_l: 0.2, grounded_rate: 0.7, style: 0.6, semantic_similarity: null } },
  { model: "base", retrieval: false, scores: { chrf: 0.22, rouge_l: 0.15, grounded_rate: 0.4, style: 0.55, semantic_similarity: null } },
  { model: "candidate", retrieval: true, scores: { chrf: 0.41, rouge_l: 0.33, grounded_rate: 0.9, style: 0.8, semantic_similarity: null } },
  { model: "candidate", retrieval: false, scores: { chrf: 0.35, rouge_l: 0.28, grounded_rate: 0.5, style: 0.82, semantic_similarity: null } },
];

export function anEvaluation(fields: Partial<Schemas["EvaluationOutput"]> = {}): Schemas["EvaluationOutput"] {
  return {
    id: 4,
    snapshot: 3,
    snapshot_hash: HASH,
    candidate: "style-r12",
    rows: ROWS,
    perplexity: { base: 20.5, candidate: 22.25 },
    examples: 10,
    seconds: 80.2,
    decision: {
      id: 9,
      action: "promoted",
      adapter: "style-r12",
      previous: null,
      reason: "chrF 0.4100 against the base model's 0.3100, with no regression in grounding or forgetting.",
      details: { run: 12, matrix: 4, adapter: "style-r12", decision: "promoted" },
      by: "schedule",
      created_at: "2026-11-20T02:06:00Z",
    },
    gate: {
      promote: true,
      reason: "chrF 0.4100 against the base model's 0.3100, with no regression in grounding or forgetting.",
      margin: 0.01,
      forgetting_limit: 1.5,
      checks: [
        { name: "chrf", passed: true, detail: "chrF 0.4100 beats the base model's 0.3100 by at least 0.01." },
        { name: "grounding", passed: true, detail: "Grounded-sentence rate 0.9000 against the base model's 0.7000: no regression beyond 0.02." },
        { name: "forgetting", passed: true, detail: "Perplexity on general text 22.25 against the base model's 20.5: within 1.5x." },
      ],
    },
    created_at: "2026-11-20T02:06:00Z",
    ...fields,
  };
}

export function anEvent(fields: Partial<Schemas["EventOutput"]> = {}): Schemas["EventOutput"] {
  return {
    id: 9,
    action: "kept",
    adapter: "style-r12",
    previous: null,
    reason: "The candidate's chrF 0.3050 does not beat the active model's 0.3000 by 0.01.",
    details: { run: 12, matrix: 4, adapter: "style-r12", decision: "kept" },
    by: "schedule",
    created_at: "2026-11-20T02:06:00Z",
    ...fields,
  };
}

export function aRetrieverRun(fields: Partial<Schemas["RetrieverRunOutput"]> = {}): Schemas["RetrieverRunOutput"] {
  return {
    id: 3,
    name: "retriever-r3",
    state: "candidate",
    base_model: "BAAI/bge-small-en-v1.5",
    data_hash: HASH,
    config: { epochs: 1, batch_size: 16, hard_negatives: 3 },
    pairs_train: 120,
    pairs_held_out: 30,
    metrics: {
      current: { "recall@1": 0.751, "recall@5": 0.9, "mrr@10": 0.8, n: 30 },
      adapted: { "recall@1": 0.849, "recall@5": 0.95, "mrr@10": 0.788, n: 30 },
      current_model: "BAAI/bge-small-en-v1.5",
    },
    gate: { passed: true, reasons: [], margin: 0.01 },
    progress: null,
    training_seconds: 200,
    error: "",
    requested_by: "admin",
    created_at: "2026-11-20T03:00:00Z",
    finished_at: "2026-11-20T03:03:20Z",
    promoted_at: null,
    promoted_by: "",
    override_reason: "",
    ...fields,
  };
}

/** The retriever with the stock model serving, no run, and `fields` on top. */
export function aRetriever(fields: Partial<Schemas["RetrieverOutput"]> = {}): Schemas["RetrieverOutput"] {
  return {
    active_model: "BAAI/bge-small-en-v1.5",
    chosen_model: "BAAI/bge-small-en-v1.5",
    stock_model: "BAAI/bge-small-en-v1.5",
    switch: null,
    pairs: {
      total: 0,
      positive: 0,
      negative: 0,
      by_source: { citation_kept: 0, citation_removed: 0, resolved_reply: 0, precedent: 0, judgment: 0, import: 0 },
    },
    min_pairs: 50,
    runs: [],
    ...fields,
  };
}

/** Every endpoint the dashboard reads, empty, with `routes` on top. */
export function dashboardServer(routes: Record<string, Answer> = {}) {
  return fakeServer(
    {
      "GET /api/v1/training/runs": { body: page([]) },
      "GET /api/v1/training/snapshots": { body: page([]) },
      "GET /api/v1/training/adapters": { body: page([]) },
      "GET /api/v1/training/evaluations": { body: page([]) },
      "GET /api/v1/training/events": { body: page([]) },
      "GET /api/v1/knowledge/retriever": { body: aRetriever() },
      ...routes,
    },
    ADMINISTRATOR,
  );
}
