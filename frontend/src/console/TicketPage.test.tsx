import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeServer, page, renderAt } from "../test/server";
import { slaState } from "./badges";
import { CUSTOMER, message, suggestion, ticket } from "./fixtures";
import { TicketPage } from "./TicketPage";

class FakeSource {
  static last: FakeSource | null = null;
  url: string;
  readyState = 1;
  listeners: Record<string, ((event: Event) => void)[]> = {};
  constructor(url: string) {
    this.url = url;
    FakeSource.last = this;
  }
  addEventListener(name: string, listener: (event: Event) => void) {
    (this.listeners[name] ??= []).push(listener);
  }
  close() {
    this.readyState = 2;
  }
  emit(name: string, data: unknown) {
    this.listeners[name]?.forEach((listener) => listener(new MessageEvent(name, { data: JSON.stringify(data) })));
  }
}

const BASE = {
  "GET /api/v1/tickets/77": { body: ticket() },
  "GET /api/v1/tickets/77/messages": { body: page([message(), message({ id: 2, author_kind: "agent", author: "Sofia", body: "Checking with billing.", public: false })]) },
  "GET /api/v1/customers/5": { body: CUSTOMER },
  "GET /api/v1/tickets": { body: page([]) },
  "GET /api/v1/incidents": { body: page([{ id: 1, title: "Bank feed delays", status: "identified", is_active: true, products: ["books"], customer_summary: "Late bank data.", updates: [] }]) },
  "GET /api/v1/teams": { body: [{ id: 1, name: "Billing", slug: "billing", is_default: false, products: [], members: [{ id: 1, username: "agent", name: "Alex Agent" }] }] },
  "GET /api/v1/tickets/77/precedents": { body: { notice: null, results: [{ id: 12, subject: "Adding seats", status: "solved", resolution: "seats added", solved_at: null, similarity: 0.91, reply: "Go to Settings." }] } },
  "POST /api/v1/tickets/77/read": { status: 204 },
};

beforeEach(() => {
  vi.stubGlobal("EventSource", FakeSource);
  FakeSource.last = null;
});
afterEach(() => vi.unstubAllGlobals());

describe("ticket page", () => {
  it("shows the conversation with notes told apart, the customer panel, incidents and precedents, and marks the ticket read", async () => {
    const server = fakeServer({ ...BASE, "GET /api/v1/tickets/77/suggestions": { body: page([]) } });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    const conversation = await screen.findByRole("list", { name: "Conversation" });
    expect(within(conversation).getByText("Internal note")).toBeInTheDocument();
    expect(within(conversation).getByText("Customer")).toBeInTheDocument();
    expect(await screen.findByText("Nordlicht GmbH")).toBeInTheDocument();
    expect(await screen.findByText("Bank feed delays")).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "Adding seats" })).toHaveAttribute("href", "/tickets/12");
    await waitFor(() => expect(server.requests.some((r) => r.method === "POST" && r.path === "/api/v1/tickets/77/read")).toBe(true));
  });

  it("streams a draft, shows its citation and flag, inserts it, and sends it through the draft", async () => {
    let drafted = false;
    const server = fakeServer({
      ...BASE,
      "GET /api/v1/tickets/77/suggestions": () => ({ body: page(drafted ? [suggestion()] : []) }),
      "POST /api/v1/tickets/77/suggestions": () => ({ status: 202, body: suggestion({ status: "pending", text: "", citations: [], flags: [] }) }),
      "GET /api/v1/knowledge/versions": (_request, url) =>
        url.searchParams.get("id") === "40" ? { body: [{ id: 40, document: 4, number: 3, title: "Adding users" }] } : { body: [] },
      "POST /api/v1/suggestions/9/send": { body: suggestion({ sent_at: "2026-11-21T12:00:00Z", outcome: "edited" }) },
    });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    await userEvent.click(await screen.findByRole("button", { name: /Draft reply/ }));
    await waitFor(() => expect(FakeSource.last?.url).toBe("/api/v1/suggestions/9/stream"));
    FakeSource.last!.emit("token", { text: "Go to Settings" });
    expect(await screen.findByTestId("streaming-draft")).toHaveTextContent("Go to Settings");
    drafted = true;
    const done = suggestion();
    FakeSource.last!.emit("done", { text: done.text, citations: done.citations, flags: done.flags });

    const [marker] = await screen.findAllByRole("button", { name: "Citation 1: Adding users" });
    fireEvent.mouseEnter(marker.parentElement!);
    const card = await screen.findByRole("tooltip");
    expect(card).toHaveTextContent("Invite colleagues under Settings > Users.");
    await waitFor(() => expect(within(card).getByRole("link")).toHaveAttribute("href", "/knowledge/4/versions/3"));
    expect(screen.getAllByTitle(/Not backed by the cited passage/).length).toBeGreaterThan(0);

    await userEvent.click(screen.getByRole("button", { name: /Insert into reply/ }));
    const box = screen.getByRole("textbox", { name: "Reply to the customer" });
    expect(box).toHaveValue(done.text);
    await userEvent.clear(box);
    await userEvent.type(box, "Go to Settings > Users [[1].");
    await userEvent.click(screen.getByRole("button", { name: /Send reply/ }));
    await waitFor(() => expect(server.requests.find((r) => r.path === "/api/v1/suggestions/9/send")?.body).toEqual({ text: "Go to Settings > Users [1]." }));
    await waitFor(() => expect(box).toHaveValue(""));
  });

  it("says a draft is stale when the customer wrote after it", async () => {
    fakeServer({
      ...BASE,
      "GET /api/v1/tickets/77/messages": { body: page([message(), message({ id: 3, body: "Also, my card expired.", created_at: "2026-11-21T11:45:00Z" })]) },
      "GET /api/v1/tickets/77/suggestions": { body: page([suggestion()]) },
    });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    expect(await screen.findByText(/The customer wrote after this draft was made/)).toBeInTheDocument();
  });

  it("sends an internal note as a non-public message, and shows a send failure's message", async () => {
    const server = fakeServer({
      ...BASE,
      "GET /api/v1/tickets/77/suggestions": { body: page([]) },
      "POST /api/v1/tickets/77/messages": (request) =>
        request.headers.get("X-CSRFToken") ? { status: 201, body: message({ id: 5, public: false }) } : { status: 403, body: { detail: "CSRF" } },
    });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    await userEvent.click(await screen.findByLabelText(/Internal note/));
    await userEvent.type(screen.getByRole("textbox", { name: "Internal note" }), "Customer is on the old plan.");
    await userEvent.click(screen.getByRole("button", { name: /Add note/ }));
    await waitFor(() =>
      expect(server.requests.find((r) => r.method === "POST" && r.path === "/api/v1/tickets/77/messages")?.body).toEqual({
        body: "Customer is on the old plan.",
        public: false,
        author_kind: "agent",
      }),
    );
  });

  it("sets the status chosen for after sending, once the reply is stored", async () => {
    const server = fakeServer({
      ...BASE,
      "GET /api/v1/tickets/77/suggestions": { body: page([]) },
      "POST /api/v1/tickets/77/messages": { status: 201, body: message({ id: 6, author_kind: "agent" }) },
      "PATCH /api/v1/tickets/77": { body: ticket({ status: "pending" }) },
    });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    await userEvent.type(await screen.findByRole("textbox", { name: "Reply to the customer" }), "Done, see you.");
    await userEvent.selectOptions(screen.getByLabelText("Status after sending"), "pending");
    await userEvent.click(screen.getByRole("button", { name: /Send reply/ }));
    await waitFor(() => expect(server.requests.find((r) => r.method === "PATCH")?.body).toEqual({ status: "pending" }));
    const order = server.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);
    expect(order.indexOf("POST /api/v1/tickets/77/messages")).toBeLessThan(order.indexOf("PATCH /api/v1/tickets/77"));
  });

  it("rates a draft with a reason", async () => {
    const server = fakeServer({
      ...BASE,
      "GET /api/v1/tickets/77/suggestions": { body: page([suggestion()]) },
      "POST /api/v1/suggestions/9/feedback": { body: suggestion({ rating: "down" }) },
    });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    await userEvent.click(await screen.findByRole("button", { name: /Not helpful/ }));
    await userEvent.selectOptions(screen.getByLabelText("Reason"), "Wrong facts");
    await waitFor(() =>
      expect(server.requests.filter((r) => r.path === "/api/v1/suggestions/9/feedback").at(-1)?.body).toEqual({ rating: "down", reason: "Wrong facts" }),
    );
  });

  it("inserts the draft as the customer reads it, and says what made it", async () => {
    const draft = suggestion({
      text: "Monthly charges are refundable **in full within 14 days** [1].\n\n- Go to *Settings*.",
      flags: [],
      timings: { total: 76 },
      citations: [
        { marker: 1, document_id: 4, version_id: 40, chunk_id: 400, title: "Refunds", heading: "", quote: "" },
        { marker: 2, document_id: 5, version_id: 50, chunk_id: 500, title: "Settings", heading: "", quote: "" },
      ],
      precedents: [{ ticket_id: 123, similarity: 0.91, used: true }],
    });
    fakeServer({ ...BASE, "GET /api/v1/tickets/77/suggestions": { body: page([draft]) } });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    const meta = await screen.findByText(/Quoted from 2 policy documents · 76 ms/);
    expect(meta).toHaveAttribute("title", expect.stringContaining("backend extractive"));
    expect(meta).not.toHaveTextContent("extractive");
    expect(within(meta).getByRole("link", { name: "#123" })).toHaveAttribute("href", "/tickets/123");
    expect(meta).toHaveTextContent("Based on the reply to #123 (91 % similar)");
    expect(screen.getByText("Every sentence is backed by its citation.")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: /Insert into reply/ }));
    expect(screen.getByRole("textbox", { name: "Reply to the customer" })).toHaveValue(
      "Monthly charges are refundable in full within 14 days [1].\n\n- Go to Settings.",
    );
  });

  it("says a draft is stale when a policy it cites was updated since", async () => {
    fakeServer({
      ...BASE,
      "GET /api/v1/tickets/77/suggestions": { body: page([suggestion({ stale: true, stale_reason: "Policy updated since this draft: Adding users." })]) },
    });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    expect(await screen.findByRole("alert")).toHaveTextContent("Policy updated since this draft: Adding users. Draft again.");
  });

  it("checks the reply as the agent types, and sends one with open flags only once confirmed", async () => {
    const flag = { kind: "uncited_claim", text: "We will also add a free month of credit.", marker: null, reason: "It states what the customer is entitled to without a citation." };
    const server = fakeServer({
      ...BASE,
      "GET /api/v1/tickets/77/suggestions": { body: page([suggestion({ flags: [] })]) },
      "POST /api/v1/suggestions/9/check": async (request) => {
        const { text } = (await request.json()) as { text: string };
        return { body: { flags: text.includes("free month") ? [flag] : [] } };
      },
      "POST /api/v1/suggestions/9/send": async (request) => {
        const body = (await request.json()) as { confirm_flags?: boolean };
        if (!body.confirm_flags) return { status: 409, body: { detail: "1 sentence needs a check before sending.", code: "open_flags", flags: [flag] } };
        return { body: suggestion({ sent_at: "2026-11-21T12:00:00Z", outcome: "edited", sent_flags: [flag], flags_confirmed: true }) };
      },
    });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    await userEvent.click(await screen.findByRole("button", { name: /Insert into reply/ }));
    expect(await screen.findByText("Nothing in your reply needs a check.")).toBeInTheDocument();

    const box = screen.getByRole("textbox", { name: "Reply to the customer" });
    await userEvent.type(box, " We will also add a free month of credit.");
    expect(await screen.findByText("1 sentence of your reply needs a check.")).toBeInTheDocument();
    expect(screen.getByText(/entitled to without a citation/)).toBeInTheDocument();
    const checks = server.requests.filter((r) => r.path === "/api/v1/suggestions/9/check");
    expect(checks.length).toBeLessThan(5); // debounced, not one per key

    await userEvent.click(screen.getByRole("button", { name: /Send reply/ }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("1 sentence of your reply needs a check. Send it anyway?");
    expect(within(dialog).getByRole("listitem")).toHaveTextContent("We will also add a free month of credit.");
    const sends = () => server.requests.filter((r) => r.path === "/api/v1/suggestions/9/send").map((r) => r.body);
    expect(sends()).toEqual([{ text: expect.stringContaining("free month") }]);
    expect(box).not.toHaveValue("");

    await userEvent.click(within(dialog).getByRole("button", { name: "Send anyway" }));
    await waitFor(() => expect(sends()).toHaveLength(2));
    expect(sends()[1]).toEqual({ text: expect.stringContaining("free month"), confirm_flags: true });
    await waitFor(() => expect(box).toHaveValue(""));
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  it("goes back to editing from the confirmation, sending nothing", async () => {
    const flag = { kind: "contradicted", text: "Upgrades are free forever [1].", marker: 1, reason: "It says the opposite of [1] Adding users." };
    const server = fakeServer({
      ...BASE,
      "GET /api/v1/tickets/77/suggestions": { body: page([suggestion()]) },
      "POST /api/v1/suggestions/9/check": { body: { flags: [flag] } },
      "POST /api/v1/suggestions/9/send": { status: 409, body: { detail: "1 sentence needs a check.", code: "open_flags", flags: [flag] } },
    });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    await userEvent.click(await screen.findByRole("button", { name: /Insert into reply/ }));
    await userEvent.click(screen.getByRole("button", { name: /Send reply/ }));
    const dialog = await screen.findByRole("alertdialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Keep editing" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(screen.getByRole("textbox", { name: "Reply to the customer" })).toHaveFocus();
    expect(server.requests.filter((r) => r.path === "/api/v1/suggestions/9/send")).toHaveLength(1);
  });

  it("shows why a ticket cannot be opened instead of a blank page", async () => {
    fakeServer({ ...BASE, "GET /api/v1/tickets/77": { status: 404, body: { detail: "Not found.", code: "not_found" } } });
    renderAt(<TicketPage />, { path: "/tickets/77", route: "/tickets/:id" });
    expect(await screen.findByRole("alert")).toHaveTextContent("Not found.");
  });

  it("names the SLA state", () => {
    const now = Date.parse("2026-11-21T12:00:00Z");
    expect(slaState("2026-11-21T11:30:00Z", "open", now)).toEqual({ text: "SLA breached 30 min ago", tone: "bad" });
    expect(slaState("2026-11-21T12:20:00Z", "open", now)).toEqual({ text: "SLA due in 20 min", tone: "warn" });
    expect(slaState("2026-11-21T12:20:00Z", "solved", now)).toBeNull();
  });
});
