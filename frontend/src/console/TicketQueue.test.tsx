import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeServer, page, renderAt } from "../test/server";
import { ticket } from "./fixtures";
import { filtersFrom, paramsFrom, TicketQueue } from "./TicketQueue";
import { queueQuery, DEFAULT_FILTERS } from "./api";

describe("ticket queue", () => {
  it("lists tickets with unread marks, status, priority and customer", async () => {
    fakeServer({ "GET /api/v1/tickets": { body: page([ticket({ unread: true }), ticket({ id: 78, subject: "Card declined", priority: "urgent" })]) } });
    renderAt(<TicketQueue />, { path: "/tickets" });
    const rows = await screen.findAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(within(rows[1]).getByRole("img", { name: "Unread" })).toBeInTheDocument();
    expect(within(rows[2]).queryByRole("img", { name: "Unread" })).toBeNull();
    expect(within(rows[2]).getByText("Urgent")).toBeInTheDocument();
    expect(within(rows[1]).getByRole("link", { name: "How do we add more users?" })).toHaveAttribute("href", "/tickets/77");
  });

  it("sends the filters to the API and keeps them in the address", async () => {
    const server = fakeServer({
      "GET /api/v1/tickets": { body: page([]) },
      "GET /api/v1/teams": { body: [{ id: 1, name: "Billing", slug: "billing", is_default: false, products: [], members: [{ id: 8, username: "sam", name: "Sam Colleague" }] }] },
    });
    renderAt(<TicketQueue />, { path: "/tickets" });
    expect(await screen.findByText("No ticket matches these filters.")).toBeInTheDocument();
    await screen.findByRole("option", { name: "Sam Colleague" });
    await userEvent.selectOptions(screen.getByLabelText("Priority"), "urgent");
    await userEvent.click(screen.getByLabelText("SLA breach soon"));
    await userEvent.selectOptions(screen.getByLabelText("Assignee"), "Sam Colleague");
    await waitFor(() => {
      const last = new URLSearchParams(server.requests.filter((r) => r.path === "/api/v1/tickets").at(-1)!.search);
      expect(last.get("priority")).toBe("urgent");
      expect(last.get("assignee")).toBe("8");
      expect(last.getAll("status")).toEqual(["new", "open", "pending"]);
      expect(last.get("sla_due_before")).toMatch(/^\d{4}-\d\d-\d\dT/);
    });
  });

  it("shows the server's message when the list fails", async () => {
    fakeServer({ "GET /api/v1/tickets": { status: 400, body: { detail: "Use a user id, 'me' or 'none'.", code: "invalid" } } });
    renderAt(<TicketQueue />, { path: "/tickets?assignee=bogus" });
    expect(await screen.findByRole("alert")).toHaveTextContent("Use a user id, 'me' or 'none'.");
  });

  it("reads and writes filters from the address, leaving defaults out", () => {
    const filters = filtersFrom(new URLSearchParams("status=solved,bogus&priority=high&sla=soon&q=card&sort=-created_at"));
    expect(filters).toMatchObject({ status: ["solved"], priority: "high", slaSoon: true, search: "card", ordering: "-created_at" });
    expect(paramsFrom(DEFAULT_FILTERS).toString()).toBe("");
    expect(paramsFrom(filters).toString()).toBe("status=solved&priority=high&sla=soon&q=card&sort=-created_at");
  });

  it("asks for tickets due within the hour when SLA breach soon is on", () => {
    const now = new Date("2026-11-21T12:00:00Z");
    expect(queueQuery({ ...DEFAULT_FILTERS, slaSoon: true }, now).sla_due_before).toBe("2026-11-21T13:00:00.000Z");
    expect(queueQuery(DEFAULT_FILTERS, now).sla_due_before).toBeUndefined();
  });
});
