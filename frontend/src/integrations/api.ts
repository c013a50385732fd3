// The integrations API as react-query hooks: sources (systems that send events in), the events they sent,
// subscriptions (addresses Openbook's events go out to) and what was sent to them. Every key starts with
// "integrations", so a change refreshes every list that may show it.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";

export type Source = Schemas["SourceOutput"];
export type SourceCreated = Schemas["SourceCreated"];
export type NewSource = Schemas["SourceInputRequest"];
export type SourceChanges = Partial<Schemas["PatchedSourceUpdateRequest"]>;
export type SourceKind = Schemas["IntegrationSourceKindEnum"];
export type InboundDelivery = Schemas["DeliveryOutput"];
export type InboundStatus = Schemas["InboundDeliveryStatusEnum"];
export type Subscription = Schemas["WebhookSubscriptionOutput"];
export type SubscriptionCreated = Schemas["WebhookSubscriptionCreated"];
export type NewSubscription = Schemas["WebhookSubscriptionInputRequest"];
// openapi-typescript makes a field with a default required; a PATCH sends only what changed.
export type SubscriptionChanges = Partial<Schemas["PatchedWebhookSubscriptionUpdateRequest"]>;
export type EventType = Schemas["EventTypeEnum"];
export type OutboundDelivery = Schemas["OutboundDeliveryOutput"];
export type OutboundDetail = Schemas["OutboundDeliveryDetail"];
export type OutboundStatus = Schemas["OutboundDeliveryStatusEnum"];
export type Attempt = Schemas["AttemptOutput"];

export const SOURCE_KINDS: { value: SourceKind; label: string }[] = [
  { value: "generic", label: "Generic (Openbook's signed events)" },
  { value: "zendesk", label: "Zendesk" },
  { value: "freshdesk", label: "Freshdesk" },
];

/** Openbook's events, with what each announces (README.md, "Outbound events"). */
export const EVENT_TYPES: { value: EventType; label: string }[] = [
  { value: "suggestion.ready", label: "a draft has finished" },
  { value: "reply.sent", label: "an agent's public reply is stored" },
  { value: "ticket.updated", label: "a ticket's status, priority, subject, tags, team, assignee or products changed" },
  { value: "document.published", label: "a document is published, or gets a new published version" },
  { value: "adapter.promoted", label: "an adapter is promoted, or rolled back" },
];

export const INBOUND_STATUSES: InboundStatus[] = ["processed", "failed", "ignored"];
export const OUTBOUND_STATUSES: OutboundStatus[] = ["pending", "sending", "retrying", "delivered", "dead"];

/** How often the outbound lists are asked again while a delivery is on its way. */
export const POLL_MS = 2_000;
export const PAGE_SIZE = 25;
/** Sources and subscriptions are few: one page of them fills the filters' choices. */
const ALL = 200;

export function isOpen(status: OutboundStatus | undefined): boolean {
  return status === "pending" || status === "sending" || status === "retrying";
}

export type InboundFilters = { source?: string; status?: InboundStatus; page?: number };
export type OutboundFilters = { subscription?: number; status?: OutboundStatus; event_type?: EventType; page?: number };

export const integrationKeys = {
  all: ["integrations"] as const,
  sources: ["integrations", "sources"] as const,
  inbound: (filters: InboundFilters) => ["integrations", "inbound", filters] as const,
  subscriptions: ["integrations", "subscriptions"] as const,
  outbound: (filters: OutboundFilters) => ["integrations", "outbound", filters] as const,
  delivery: (id: number) => ["integrations", "delivery", id] as const,
};

// --- sources -------------------------------------------------------------------------------------------

export function useSources() {
  return useQuery({
    queryKey: integrationKeys.sources,
    queryFn: () => unwrap(api.GET("/api/v1/integrations/sources", { params: { query: { page_size: ALL } } })),
  });
}

export function useCreateSource() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewSource) => unwrap(api.POST("/api/v1/integrations/sources", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: integrationKeys.sources }),
  });
}

export function useUpdateSource() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: number; changes: SourceChanges }) =>
      unwrap(api.PATCH("/api/v1/integrations/sources/{id}", { params: { path: { id } }, body: changes })),
    onSuccess: () => client.invalidateQueries({ queryKey: integrationKeys.sources }),
  });
}

export function useInbound(filters: InboundFilters) {
  return useQuery({
    queryKey: integrationKeys.inbound(filters),
    queryFn: () =>
      unwrap(api.GET("/api/v1/integrations/deliveries", { params: { query: { ...filters, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
}

// --- subscriptions -------------------------------------------------------------------------------------

export function useSubscriptions() {
  return useQuery({
    queryKey: integrationKeys.subscriptions,
    queryFn: () => unwrap(api.GET("/api/v1/integrations/subscriptions", { params: { query: { page_size: ALL } } })),
  });
}

export function useCreateSubscription() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewSubscription) => unwrap(api.POST("/api/v1/integrations/subscriptions", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: integrationKeys.subscriptions }),
  });
}

export function useUpdateSubscription() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: number; changes: SubscriptionChanges }) =>
      unwrap(
        api.PATCH("/api/v1/integrations/subscriptions/{id}", {
          params: { path: { id } },
          body: changes as Schemas["PatchedWebhookSubscriptionUpdateRequest"],
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: integrationKeys.subscriptions }),
  });
}

export function useDeleteSubscription() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/v1/integrations/subscriptions/{id}", { params: { path: { id } } })),
    // Its deliveries went with it.
    onSuccess: () => client.invalidateQueries({ queryKey: integrationKeys.all }),
  });
}

// --- outbound deliveries -------------------------------------------------------------------------------

/** Deliveries, asked again every POLL_MS while one of those shown is pending, sending or retrying. */
export function useOutbound(filters: OutboundFilters) {
  return useQuery({
    queryKey: integrationKeys.outbound(filters),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/integrations/outbound-deliveries", { params: { query: { ...filters, page_size: PAGE_SIZE } } }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.results.some((d) => isOpen(d.status)) ? POLL_MS : false),
  });
}

/** One delivery with its body and attempts, asked again while it is on its way. */
export function useOutboundDetail(id: number | null) {
  return useQuery({
    queryKey: integrationKeys.delivery(id ?? 0),
    queryFn: () =>
      unwrap(api.GET("/api/v1/integrations/outbound-deliveries/{id}", { params: { path: { id: id ?? 0 } } })),
    enabled: id !== null,
    refetchInterval: (query) => (isOpen(query.state.data?.status) ? POLL_MS : false),
  });
}

export function useRedeliver() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST("/api/v1/integrations/outbound-deliveries/{id}/redeliver", { params: { path: { id } } })),
    onSuccess: () =>
      client.invalidateQueries({
        predicate: (query) => query.queryKey[0] === "integrations" && ["outbound", "delivery"].includes(String(query.queryKey[1])),
      }),
  });
}
