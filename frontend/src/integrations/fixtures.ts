// Test data for the integrations pages, in the API's own shapes, and a fake server answering every endpoint
// they read (empty lists unless a test says otherwise).
import type { Schemas } from "../api/client";
import { ADMINISTRATOR, fakeServer, page, type Answer } from "../test/server";

export function aSource(fields: Partial<Schemas["SourceOutput"]> = {}): Schemas["SourceOutput"] {
  const slug = fields.slug ?? "zendesk";
  return {
    id: 1,
    name: "Zendesk production",
    slug,
    kind: "zendesk",
    active: true,
    events_url: `/api/v1/integrations/${slug}/events`,
    created_at: "2026-11-20T09:00:00Z",
    ...fields,
  };
}

export function anInbound(fields: Partial<Schemas["DeliveryOutput"]> = {}): Schemas["DeliveryOutput"] {
  return {
    id: 1,
    source: "zendesk",
    delivery_id: "01HZX-ticket-created-1042",
    event_type: "ticket.created",
    status: "processed",
    error: "",
    attempts: 1,
    ticket: 641,
    customer: 212,
    received_at: "2026-11-21T10:15:00Z",
    processed_at: "2026-11-21T10:15:00Z",
    ...fields,
  };
}

export function aSubscription(fields: Partial<Schemas["WebhookSubscriptionOutput"]> = {}): Schemas["WebhookSubscriptionOutput"] {
  return {
    id: 4,
    name: "Helpdesk sync",
    url: "https://desk.example.com/hooks/openbook",
    events: ["suggestion.ready", "reply.sent"],
    active: true,
    source: "zendesk",
    created_at: "2026-11-20T09:30:00Z",
    updated_at: "2026-11-20T09:30:00Z",
    ...fields,
  };
}

export function anOutbound(fields: Partial<Schemas["OutboundDeliveryOutput"]> = {}): Schemas["OutboundDeliveryOutput"] {
  return {
    id: 30,
    subscription: 4,
    delivery_id: "7b6f0c1e-2d3a-4b5c-9d8e-0f1a2b3c4d5e",
    event_id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    event_type: "reply.sent",
    status: "delivered",
    attempts: 1,
    next_attempt_at: "2026-11-21T10:16:00Z",
    last_status_code: 200,
    last_error: "",
    created_at: "2026-11-21T10:16:00Z",
    delivered_at: "2026-11-21T10:16:01Z",
    ...fields,
  };
}

export function anAttempt(fields: Partial<Schemas["AttemptOutput"]> = {}): Schemas["AttemptOutput"] {
  return { number: 1, at: "2026-11-21T10:16:00Z", status_code: 200, error: "", duration_ms: 41.6, response_body: "thanks", ...fields };
}

export function anOutboundDetail(
  fields: Partial<Schemas["OutboundDeliveryDetail"]> = {},
): Schemas["OutboundDeliveryDetail"] {
  return {
    ...anOutbound(),
    payload: { id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", type: "reply.sent", occurred_at: "2026-11-21T10:16:00Z", data: { ticket: { id: 641 } } },
    attempt_log: [anAttempt()],
    ...fields,
  };
}

/** Every endpoint the integrations pages read, empty, with `routes` on top. */
export function integrationsServer(routes: Record<string, Answer> = {}) {
  return fakeServer(
    {
      "GET /api/v1/integrations/sources": { body: page([]) },
      "GET /api/v1/integrations/deliveries": { body: page([]) },
      "GET /api/v1/integrations/subscriptions": { body: page([]) },
      "GET /api/v1/integrations/outbound-deliveries": { body: page([]) },
      ...routes,
    },
    ADMINISTRATOR,
  );
}
