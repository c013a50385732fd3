import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { page, renderAt } from "../test/server";
import { anInbound, aSource, integrationsServer } from "./fixtures";
import { inboundFiltersFrom } from "./InboundDeliveries";
import { IntegrationsPage } from "./IntegrationsPage";

function show(path = "/integrations/inbound") {
  return renderAt(<IntegrationsPage />, { path, route: "/integrations/*" });
}

const PROCESSED = anInbound();
const FAILED = anInbound({
  id: 2,
  source: "desk",
  delivery_id: "d-early",
  event_type: "message.added",
  status: "failed",
  error: "Ticket ZD-7 is not known yet: deliver its ticket.created first.",
  attempts: 3,
  ticket: null,
  customer: null,
});

describe("events received", () => {
  it("lists each event with its delivery id, status, error, attempts, ticket and time", async () => {
    integrationsServer({ "GET /api/v1/integrations/deliveries": { body: page([FAILED, PROCESSED]) } });
    show();
    const region = await screen.findByRole("region", { name: "Events received" });
    const table = await within(region).findByRole("table");
    const processed = within(table).getByRole("rowheader", { name: PROCESSED.delivery_id }).closest("tr")!;
    expect(processed).toHaveTextContent("ticket.created");
    expect(processed).toHaveTextContent("processed");
    expect(within(processed).getByRole("link", { name: "Ticket 641" })).toHaveAttribute("href", "/tickets/641");
    const failed = within(table).getByRole("rowheader", { name: "d-early" }).closest("tr")!;
    expect(failed).toHaveTextContent("failed");
    expect(failed).toHaveTextContent("Ticket ZD-7 is not known yet");
    expect(within(failed).getAllByRole("cell")[4]).toHaveTextContent("3");
    expect(within(failed).queryByRole("link")).toBeNull();
  });

  it("filters by source and status, in the address, from the first page", async () => {
    const user = userEvent.setup();
    const server = integrationsServer({
      "GET /api/v1/integrations/sources": { body: page([aSource(), aSource({ id: 2, name: "Desk", slug: "desk", kind: "generic" })]) },
      "GET /api/v1/integrations/deliveries": (_request, url) => ({
        body: page([PROCESSED, FAILED].filter((d) => (!url.searchParams.get("status") || d.status === url.searchParams.get("status")) && (!url.searchParams.get("source") || d.source === url.searchParams.get("source")))),
      }),
    });
    show("/integrations/inbound?page=3");
    const region = await screen.findByRole("region", { name: "Events received" });
    await within(region).findByRole("table");
    const source = within(region).getByLabelText("Source");
    await waitFor(() => expect(within(source).getByRole("option", { name: "Desk (desk)" })).toBeInTheDocument());
    await user.selectOptions(source, "desk");
    await user.selectOptions(within(region).getByLabelText("Status"), "failed");
    await waitFor(() => expect(within(region).queryByRole("rowheader", { name: PROCESSED.delivery_id })).toBeNull());
    expect(within(region).getByRole("rowheader", { name: "d-early" })).toBeInTheDocument();
    const last = server.requests.filter((r) => r.path === "/api/v1/integrations/deliveries").at(-1)!;
    expect(Object.fromEntries(new URLSearchParams(last.search))).toEqual({ source: "desk", status: "failed", page: "1", page_size: "25" });

    await user.selectOptions(within(region).getByLabelText("Status"), "ignored");
    expect(await within(region).findByText("No event matches these filters.")).toBeInTheDocument();
  });

  it("starts from a source given in the address (a source's Events link)", async () => {
    const server = integrationsServer({ "GET /api/v1/integrations/deliveries": { body: page([FAILED]) } });
    show("/integrations/inbound?source=desk");
    const region = await screen.findByRole("region", { name: "Events received" });
    await within(region).findByRole("table");
    expect(within(region).getByLabelText("Source")).toHaveValue("desk");
    expect(server.requests.find((r) => r.path === "/api/v1/integrations/deliveries")?.search).toContain("source=desk");
  });

  it("says so when nothing has arrived, and shows the server's message on failure", async () => {
    integrationsServer();
    show();
    expect(await screen.findByText(/No event received yet/)).toBeInTheDocument();
  });

  it("shows why the events could not be listed", async () => {
    integrationsServer({ "GET /api/v1/integrations/deliveries": { status: 503, body: { detail: "The database is not answering.", code: "unavailable" } } });
    show();
    const region = await screen.findByRole("region", { name: "Events received" });
    expect(await within(region).findByRole("alert")).toHaveTextContent("The database is not answering.");
  });

  it("reads its filters from the address defensively", () => {
    expect(inboundFiltersFrom(new URLSearchParams("status=bogus&page=-2"))).toEqual({ page: 1 });
    expect(inboundFiltersFrom(new URLSearchParams("source=desk&status=ignored&page=2"))).toEqual({ source: "desk", status: "ignored", page: 2 });
  });
});
