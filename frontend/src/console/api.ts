// What the agent console reads and writes, as react-query hooks over the typed client.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, ApiError, unwrap, type Schemas } from "../api/client";

export type Ticket = Schemas["TicketOutput"];
export type Message = Schemas["MessageOutput"];
export type Suggestion = Schemas["SuggestionOutput"];
export type Citation = Schemas["CitationOutput"];
export type Flag = Schemas["FlagOutput"];
export type Precedent = Schemas["PrecedentOutput"];
export type TicketStatus = NonNullable<Ticket["status"]>;
export type Priority = NonNullable<Ticket["priority"]>;

export const STATUSES: TicketStatus[] = ["new", "open", "pending", "on_hold", "solved", "closed"];
export const PRIORITIES: Priority[] = ["urgent", "high", "normal", "low"];
/** How soon an SLA deadline counts as "breach soon". */
export const SLA_SOON_MINUTES = 60;

/** The queue refreshes itself this often, so new tickets appear without a reload. */
export const QUEUE_REFRESH_MS = 5_000;
/** An open ticket's conversation refreshes this often (a new customer message makes a draft stale). */
export const CONVERSATION_REFRESH_MS = 4_000;

export type QueueFilters = {
  status: TicketStatus[];
  priority: Priority | "";
  assignee: string; // "", "me", "none" or a user id
  tag: string;
  slaSoon: boolean;
  search: string;
  ordering: string;
};

export const DEFAULT_FILTERS: QueueFilters = {
  status: ["new", "open", "pending"],
  priority: "",
  assignee: "",
  tag: "",
  slaSoon: false,
  search: "",
  ordering: "sla_due_at",
};

export function queueQuery(filters: QueueFilters, now: Date = new Date()) {
  const query: Record<string, unknown> = { page_size: 100, ordering: filters.ordering };
  if (filters.status.length) query.status = filters.status;
  if (filters.priority) query.priority = [filters.priority];
  if (filters.assignee) query.assignee = filters.assignee;
  if (filters.tag.trim()) query.tag = filters.tag.trim();
  if (filters.search.trim()) query.search = filters.search.trim();
  if (filters.slaSoon) query.sla_due_before = new Date(now.getTime() + SLA_SOON_MINUTES * 60_000).toISOString();
  return query;
}

export function useTickets(filters: QueueFilters) {
  return useQuery({
    queryKey: ["tickets", filters],
    queryFn: () => unwrap(api.GET("/api/v1/tickets", { params: { query: queueQuery(filters) as never } })),
    refetchInterval: QUEUE_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
}

export function useTicket(id: number) {
  return useQuery({
    queryKey: ["ticket", id],
    queryFn: () => unwrap(api.GET("/api/v1/tickets/{id}", { params: { path: { id } } })),
    refetchInterval: CONVERSATION_REFRESH_MS,
  });
}

export function useMessages(id: number) {
  return useQuery({
    queryKey: ["messages", id],
    queryFn: () => unwrap(api.GET("/api/v1/tickets/{id}/messages", { params: { path: { id }, query: { page_size: 500 } } })),
    refetchInterval: CONVERSATION_REFRESH_MS,
  });
}

export function useTeams() {
  return useQuery({ queryKey: ["teams"], queryFn: () => unwrap(api.GET("/api/v1/teams")), staleTime: 60_000 });
}

export function useCustomer(id: number | undefined) {
  return useQuery({
    queryKey: ["customer", id],
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET("/api/v1/customers/{id}", { params: { path: { id: id! } } })),
  });
}

export function useCustomerTickets(customer: number | undefined) {
  return useQuery({
    queryKey: ["tickets", "of-customer", customer],
    enabled: customer !== undefined,
    queryFn: () =>
      unwrap(api.GET("/api/v1/tickets", { params: { query: { customer: customer!, page_size: 6, ordering: "-created_at" } } })),
  });
}

export function useActiveIncidents() {
  return useQuery({
    queryKey: ["incidents", "active"],
    queryFn: () => unwrap(api.GET("/api/v1/incidents", { params: { query: { active: true, page_size: 50 } } })),
    staleTime: 30_000,
  });
}

export function useSuggestions(ticket: number) {
  return useQuery({
    queryKey: ["suggestions", ticket],
    queryFn: () => unwrap(api.GET("/api/v1/tickets/{id}/suggestions", { params: { path: { id: ticket }, query: { page_size: 5 } } })),
  });
}

export function usePrecedents(ticket: number) {
  return useQuery({
    queryKey: ["precedents", ticket],
    queryFn: () => unwrap(api.GET("/api/v1/tickets/{id}/precedents", { params: { path: { id: ticket }, query: { limit: 5 } } })),
    staleTime: 60_000,
  });
}

export function useTicketUpdate(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["PatchedTicketUpdateInputRequest"]) =>
      unwrap(api.PATCH("/api/v1/tickets/{id}", { params: { path: { id } }, body })),
    onSuccess: (ticket) => {
      client.setQueryData(["ticket", id], ticket);
      void client.invalidateQueries({ queryKey: ["tickets"] });
    },
  });
}

export function useMarkRead(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/tickets/{id}/read", { params: { path: { id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["tickets"] }),
  });
}

/** A send refused because the reply still has flags: what they are, for the agent to confirm. */
export class OpenFlagsError extends ApiError {
  flags: Flag[];

  constructor(message: string, flags: Flag[]) {
    super(409, message, "open_flags");
    this.name = "OpenFlagsError";
    this.flags = flags;
  }
}

/** Send a reply through its draft; OpenFlagsError when it has flags and `confirm` is not given. */
export async function sendDraft(suggestion: number, text: string, confirm = false) {
  const body = confirm ? { text, confirm_flags: true } : { text };
  const result = await api.POST("/api/v1/suggestions/{id}/send", { params: { path: { id: suggestion } }, body }).catch((error: unknown) => {
    throw error instanceof ApiError ? error : new ApiError(0, "The server could not be reached. Check your connection.");
  });
  const refused = result.error as { code?: unknown; detail?: unknown; flags?: unknown } | undefined;
  if (result.response.status === 409 && refused?.code === "open_flags" && Array.isArray(refused.flags)) {
    throw new OpenFlagsError(typeof refused.detail === "string" ? refused.detail : "The reply needs a check.", refused.flags as Flag[]);
  }
  return unwrap(Promise.resolve(result));
}

/** Send the reply: through the draft it came from (so the outcome is recorded, and its claims checked), or as
 * a plain message. `confirm`: send a draft's reply although it has flags (the agent saw them). */
export function useSendReply(ticket: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ text, internal, suggestion, confirm = false }: { text: string; internal: boolean; suggestion: number | null; confirm?: boolean }) => {
      if (suggestion !== null && !internal) return sendDraft(suggestion, text, confirm);
      return unwrap(
        api.POST("/api/v1/tickets/{id}/messages", { params: { path: { id: ticket } }, body: { body: text, public: !internal, author_kind: "agent" } }),
      );
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["messages", ticket] });
      void client.invalidateQueries({ queryKey: ["ticket", ticket] });
      void client.invalidateQueries({ queryKey: ["suggestions", ticket] });
      void client.invalidateQueries({ queryKey: ["tickets"] });
    },
  });
}

export function useFeedback(ticket: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, rating, reason }: { id: number; rating: "up" | "down"; reason: string }) =>
      unwrap(api.POST("/api/v1/suggestions/{id}/feedback", { params: { path: { id } }, body: { rating, reason } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["suggestions", ticket] }),
  });
}

/** `value`, once it has stopped changing for `delay` ms. */
export function useDebounced<T>(value: T, delay: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** How long the reply must rest before it is checked. */
export const CHECK_DELAY_MS = 600;

/** The claims checks on the reply the agent is writing from a draft (nothing is stored), once typing pauses. */
export function useReplyCheck(suggestion: number | null, text: string) {
  const settled = useDebounced(text, CHECK_DELAY_MS);
  return useQuery({
    queryKey: ["check", suggestion, settled],
    enabled: suggestion !== null && settled.trim() !== "",
    queryFn: () => unwrap(api.POST("/api/v1/suggestions/{id}/check", { params: { path: { id: suggestion! } }, body: { text: settled } })),
    staleTime: Infinity,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export function requestDraft(ticket: number) {
  return unwrap(api.POST("/api/v1/tickets/{id}/suggestions", { params: { path: { id: ticket } } }));
}

export { humanize as label } from "../ui/format";
