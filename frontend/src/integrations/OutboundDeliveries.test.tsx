import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { page, renderAt } from "../test/server";
import { anAttempt, anOutbound, anOutboundDetail, aSubscription, integrationsServer } from "./fixtures";
import { IntegrationsPage } from "./IntegrationsPage";
import { outboundFiltersFrom } from "./OutboundDeliveries";

function show(path = "/integrations/outbound") {
  return renderAt(<IntegrationsPage />, { path, route: "/integrations/*" });
}

async function sent() {
  const region = await screen.findByRole("region", { name: "Events sent" });
  await within(region).findByRole("table", { name: /Events sent to subscriptions/ });
  return region;
}

function rows(region: HTMLElement): HTMLElement[] {
  return within(within(region).getByRole("table", { name: /Events sent to subscriptions/ })).getAllByRole("row").slice(1);
}

const SUBSCRIPTIONS = { body: page([aSubscription(), aSubscription({ id: 5, name: "Analytics", events: ["adapter.promoted"] })]) };
const DELIVERED = anOutbound();
const DEAD = anOutbound({
  id: 31,
  subscription: 5,
  event_type: "adapter.promoted",
  status: "dead",
  attempts: 3,
  last_status_code: 503,
  last_error: "The receiver answered 503.",
  delivered_at: null,
});
const DEAD_DETAIL = anOutboundDetail({
  ...DEAD,
  payload: { type: "adapter.promoted", id: DEAD.event_id, occurred_at: "2026-11-21T10:16:00Z", data: { adapter: { name: "style-r12" }, action: "promoted" } },
  attempt_log: [
    anAttempt({ number: 1, status_code: 503, error: "The receiver answered 503.", duration_ms: 12.4, response_body: "not now" }),
    anAttempt({ number: 2, status_code: null, error: "No answer within 3 s.", duration_ms: 3000.2, response_body: "" }),
    anAttempt({ number: 3, status_code: 503, error: "The receiver answered 503.", duration_ms: 9.8, response_body: "x".repeat(600) }),
  ],
});

afterEach(() => {
  vi.useRealTimers();
});

describe("events sent", () => {
  it("lists each delivery with its subscription, status, attempts and the receiver's last answer", async () => {
    integrationsServer({
      "GET /api/v1/integrations/subscriptions": SUBSCRIPTIONS,
      "GET /api/v1/integrations/outbound-deliveries": { body: page([DEAD, DELIVERED]) },
    });
    show();
    const region = await sent();
    const [dead, delivered] = rows(region);
    expect(within(dead).getByRole("rowheader")).toHaveTextContent("adapter.promoted");
    await waitFor(() => expect(dead).toHaveTextContent("Analytics"));
    expect(dead).toHaveTextContent("dead");
    expect(dead).toHaveTextContent("503");
    expect(dead).toHaveTextContent("The receiver answered 503.");
    expect(within(dead).getAllByRole("cell")[2]).toHaveTextContent("3");
    expect(delivered).toHaveTextContent("Helpdesk sync");
    expect(delivered).toHaveTextContent("delivered");
    expect(delivered).toHaveTextContent("200");
    expect(within(delivered).getByRole("button", { name: "Redeliver" })).toHaveAccessibleDescription("reply.sent");
    expect(screen.queryByText(/Live: updated/)).toBeNull();
  });

  it("reads the subscriptions again for the name of one made since they were read, once", async () => {
    let reads = 0;
    const server = integrationsServer({
      // Analytics is made after the page first read the subscriptions.
      "GET /api/v1/integrations/subscriptions": () => ({ body: page(reads++ === 0 ? [aSubscription()] : [aSubscription(), aSubscription({ id: 5, name: "Analytics" })]) }),
      "GET /api/v1/integrations/outbound-deliveries": { body: page([DEAD, DELIVERED, anOutbound({ id: 40, subscription: 9 })]) },
    });
    show();
    const region = await sent();
    await waitFor(() => expect(rows(region)[0]).toHaveTextContent("Analytics"));
    // Subscription 9 is not in the answer either (say, beyond its page): not asked for again and again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests.filter((r) => r.path === "/api/v1/integrations/subscriptions")).toHaveLength(2);
    expect(rows(region)[2]).toHaveTextContent("Subscription 9");
  });

  it("filters by subscription, status and event type, and starts from a subscription given in the address", async () => {
    const user = userEvent.setup();
    const server = integrationsServer({
      "GET /api/v1/integrations/subscriptions": SUBSCRIPTIONS,
      "GET /api/v1/integrations/outbound-deliveries": (_request, url) => ({
        body: page([DEAD, DELIVERED].filter((d) => !url.searchParams.get("subscription") || String(d.subscription) === url.searchParams.get("subscription"))),
      }),
    });
    show("/integrations/outbound?subscription=5");
    const region = await sent();
    const subscription = within(region).getByLabelText("Subscription");
    await waitFor(() => expect(subscription).toHaveValue("5"));
    expect(rows(region)).toHaveLength(1);
    const query = () => Object.fromEntries(new URLSearchParams(server.requests.filter((r) => r.path === "/api/v1/integrations/outbound-deliveries").at(-1)!.search));
    expect(query()).toEqual({ subscription: "5", page: "1", page_size: "25" });

    await user.selectOptions(within(region).getByLabelText("Status"), "dead");
    await user.selectOptions(within(region).getByLabelText("Event"), "adapter.promoted");
    await waitFor(() => expect(query()).toEqual({ subscription: "5", status: "dead", event_type: "adapter.promoted", page: "1", page_size: "25" }));
    await user.selectOptions(subscription, "");
    await waitFor(() => expect(query()).toEqual({ status: "dead", event_type: "adapter.promoted", page: "1", page_size: "25" }));
  });

  it("opens a delivery: its payload, pretty-printed, and every attempt", async () => {
    const user = userEvent.setup();
    integrationsServer({
      "GET /api/v1/integrations/subscriptions": SUBSCRIPTIONS,
      "GET /api/v1/integrations/outbound-deliveries": { body: page([DEAD, DELIVERED]) },
      "GET /api/v1/integrations/outbound-deliveries/31": { body: DEAD_DETAIL },
    });
    show();
    const region = await sent();
    const details = within(rows(region)[0]).getByRole("button", { name: "Details" });
    expect(details).toHaveAttribute("aria-expanded", "false");
    await user.click(details);
    expect(details).toHaveAttribute("aria-expanded", "true");
    const article = await within(region).findByRole("article");
    const payload = within(article).getByRole("region", { name: "Payload" });
    expect(payload.tagName).toBe("PRE");
    // Pretty-printed, its keys in the order of the body that was signed and sent (sorted).
    expect(payload.textContent).toBe(
      JSON.stringify({ data: { action: "promoted", adapter: { name: "style-r12" } }, id: DEAD.event_id, occurred_at: "2026-11-21T10:16:00Z", type: "adapter.promoted" }, null, 2),
    );
    expect(article).toHaveTextContent(DEAD.delivery_id);
    const attempts = within(within(article).getByRole("table", { name: "Every attempt, oldest first." })).getAllByRole("row").slice(1);
    expect(attempts).toHaveLength(3);
    expect(attempts[0]).toHaveTextContent("503");
    expect(attempts[0]).toHaveTextContent("12 ms");
    expect(attempts[0]).toHaveTextContent("not now");
    expect(attempts[1]).toHaveTextContent("No answer within 3 s.");
    expect(attempts[1]).toHaveTextContent("3000 ms");
    // A long answer is shown by its start.
    expect(within(attempts[2]).getByText(/^x+…$/).textContent).toHaveLength(201);

    await user.click(details);
    expect(within(region).queryByRole("article")).toBeNull();
  });

  it("redelivers after confirming, and the list follows the delivery until it has gone", async () => {
    const user = userEvent.setup();
    let current = DEAD;
    const server = integrationsServer({
      "GET /api/v1/integrations/subscriptions": SUBSCRIPTIONS,
      "GET /api/v1/integrations/outbound-deliveries": () => ({ body: page([current]) }),
      "POST /api/v1/integrations/outbound-deliveries/31/redeliver": () => {
        current = { ...DEAD, status: "pending", attempts: 0 };
        return { status: 202, body: current };
      },
    });
    show();
    const region = await sent();
    await user.click(within(rows(region)[0]).getByRole("button", { name: "Redeliver" }));
    const dialog = within(region).getByRole("alertdialog", { name: "Redeliver this adapter.promoted event?" });
    expect(dialog).toHaveTextContent(`the same delivery id (${DEAD.delivery_id})`);
    expect(server.requests.some((r) => r.method === "POST")).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Redeliver" }));
    expect(await within(region).findByText("The adapter.promoted event is queued for Analytics again, with a fresh round of attempts.")).toBeInTheDocument();
    expect(server.requests.filter((r) => r.method === "POST").map((r) => r.path)).toEqual(["/api/v1/integrations/outbound-deliveries/31/redeliver"]);
    await waitFor(() => expect(rows(region)[0]).toHaveTextContent("pending"));
    expect(screen.getByText(/Live: updated every 2 s/)).toBeInTheDocument();
    expect(within(region).queryByRole("alertdialog")).toBeNull();
  });

  it("shows the server's message when a delivery cannot be sent again (409)", async () => {
    const user = userEvent.setup();
    integrationsServer({
      "GET /api/v1/integrations/outbound-deliveries": { body: page([anOutbound({ status: "sending" })]) },
      "POST /api/v1/integrations/outbound-deliveries/30/redeliver": { status: 409, body: { detail: "This delivery is being sent right now.", code: "sending" } },
    });
    show();
    const region = await sent();
    await user.click(within(rows(region)[0]).getByRole("button", { name: "Redeliver" }));
    const dialog = within(region).getByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Redeliver" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("This delivery is being sent right now.");
    await user.keyboard("{Escape}");
    expect(within(region).queryByRole("alertdialog")).toBeNull();
    expect(within(rows(region)[0]).getByRole("button", { name: "Redeliver" })).toHaveFocus();
  });

  it("polls every 2 s while a delivery is on its way, and stops once none is", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const states = [
      anOutbound({ id: 32, status: "pending", attempts: 0, last_status_code: null, delivered_at: null }),
      anOutbound({ id: 32, status: "retrying", attempts: 1, last_status_code: 503, last_error: "The receiver answered 503.", delivered_at: null }),
      anOutbound({ id: 32, status: "delivered", attempts: 2 }),
    ];
    let polls = 0;
    const server = integrationsServer({
      "GET /api/v1/integrations/outbound-deliveries": () => {
        const now = states[Math.min(polls, states.length - 1)];
        polls += 1;
        return { body: page([now, DELIVERED]) };
      },
    });
    show();
    const region = await sent();
    expect(rows(region)[0]).toHaveTextContent("pending");
    expect(screen.getByText(/Live: updated every 2 s/)).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await waitFor(() => expect(rows(region)[0]).toHaveTextContent("retrying"));
    expect(rows(region)[0]).toHaveTextContent("The receiver answered 503.");
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await waitFor(() => expect(rows(region)[0]).toHaveTextContent("delivered"));
    expect(screen.queryByText(/Live: updated/)).toBeNull();
    const calls = () => server.requests.filter((r) => r.path === "/api/v1/integrations/outbound-deliveries").length;
    const after = calls();
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(calls()).toBe(after);
  });

  it("follows an opened delivery's attempts while it is on its way", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let detail = anOutboundDetail({ status: "retrying", attempts: 1, attempt_log: [anAttempt({ status_code: 503, error: "The receiver answered 503." })] });
    const server = integrationsServer({
      "GET /api/v1/integrations/outbound-deliveries": () => ({ body: page([detail]) }),
      "GET /api/v1/integrations/outbound-deliveries/30": () => ({ body: detail }),
    });
    show("/integrations/outbound?delivery=30");
    const region = await sent();
    const article = await within(region).findByRole("article");
    expect(within(article).getAllByRole("row")).toHaveLength(2);
    detail = anOutboundDetail({ status: "delivered", attempts: 2, attempt_log: [anAttempt({ status_code: 503, error: "The receiver answered 503." }), anAttempt({ number: 2 })] });
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await waitFor(() => expect(within(article).getAllByRole("row")).toHaveLength(3));
    const calls = () => server.requests.filter((r) => r.path === "/api/v1/integrations/outbound-deliveries/30").length;
    const after = calls();
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(calls()).toBe(after);
  });

  it("says so when nothing has been sent, and when nothing matches", async () => {
    integrationsServer();
    show();
    expect(await screen.findByText(/Nothing sent yet/)).toBeInTheDocument();
  });

  it("shows why the deliveries could not be listed", async () => {
    integrationsServer({ "GET /api/v1/integrations/outbound-deliveries": { status: 403, body: { detail: "You do not have permission to perform this action.", code: "permission_denied" } } });
    show();
    const region = await screen.findByRole("region", { name: "Events sent" });
    expect(await within(region).findByRole("alert")).toHaveTextContent("You do not have permission to perform this action.");
  });

  it("reads its filters from the address defensively", () => {
    expect(outboundFiltersFrom(new URLSearchParams("subscription=x&status=lost&event=ticket.deleted"))).toEqual({ page: 1 });
    expect(outboundFiltersFrom(new URLSearchParams("subscription=4&status=dead&event=reply.sent&page=2"))).toEqual({ subscription: 4, status: "dead", event_type: "reply.sent", page: 2 });
  });
});
