// Values shaped like the API's answers, for the console's unit tests.
export const NOW = new Date("2026-11-21T12:00:00Z");

export function ticket(overrides: Record<string, unknown> = {}) {
  return {
    id: 77,
    subject: "How do we add more users?",
    status: "open",
    allowed_transitions: ["pending", "solved"],
    priority: "normal",
    channel: "email",
    customer: { id: 5, name: "Chloe O'Brien", email: "chloe@example.com", plan: "growth", organization: 3 },
    team: { id: 1, name: "Billing", slug: "billing" },
    assignee: null,
    products: ["books"],
    tags: ["billing"],
    sla_due_at: null,
    first_responded_at: null,
    solved_at: null,
    resolution: "",
    source: "openbook",
    external_id: "",
    message_count: 1,
    last_message_at: "2026-11-21T11:00:00Z",
    unread: false,
    created_at: "2026-11-21T10:00:00Z",
    updated_at: "2026-11-21T11:00:00Z",
    ...overrides,
  };
}

export function message(overrides: Record<string, unknown> = {}) {
  return { id: 1, author_kind: "customer", author: "Chloe O'Brien", body: "How do I add users?", public: true, external_id: "", created_at: "2026-11-21T11:00:00Z", ...overrides };
}

export function suggestion(overrides: Record<string, unknown> = {}) {
  return {
    id: 9,
    ticket: 77,
    status: "ready",
    stale: false,
    stale_reason: "",
    error: "",
    text: "Go to Settings > Users [1]. Upgrades are free forever [1].",
    citations: [{ marker: 1, document_id: 4, version_id: 40, chunk_id: 400, title: "Adding users", heading: "Seats", quote: "Invite colleagues under Settings > Users." }],
    flags: [{ kind: "unsupported", text: "Upgrades are free forever [1].", marker: 1, reason: "" }],
    passages: [],
    precedents: [],
    backend: "extractive",
    model: "extractive",
    adapter: "",
    retrieval_query: "",
    vector_search: "used",
    timings: { total: 42 },
    requested_by: "agent",
    created_at: "2026-11-21T11:30:00Z",
    finished_at: "2026-11-21T11:30:01Z",
    sent_at: null,
    outcome: "",
    edit_distance: null,
    sent_flags: [],
    flags_confirmed: false,
    example_id: null,
    rating: "",
    feedback_reason: "",
    ...overrides,
  };
}

export const CUSTOMER = {
  id: 5, name: "Chloe O'Brien", email: "chloe@example.com", phone: "", language: "en",
  organization: { id: 3, name: "Nordlicht GmbH", slug: "nordlicht" }, plan: "growth", products: ["books"],
  account_status: "active", training_consent: true, source: "", external_id: "", created_at: "", updated_at: "", subscriptions: [],
};
