import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { page, renderAt } from "../test/server";
import { aSource, aSubscription, integrationsServer } from "./fixtures";
import { IntegrationsPage } from "./IntegrationsPage";
import { changesBetween, valuesOf } from "./Subscriptions";

function show() {
  return renderAt(<IntegrationsPage />, { path: "/integrations/subscriptions", route: "/integrations/*" });
}

async function subscriptions() {
  const region = await screen.findByRole("region", { name: "Subscriptions" });
  await within(region).findByRole("table");
  return region;
}

function row(region: HTMLElement, name: string): HTMLElement {
  return within(region).getByRole("rowheader", { name }).closest("tr")!;
}

const SYNC = aSubscription();
const PAUSED = aSubscription({ id: 5, name: "Analytics", url: "https://stats.example.com/in", events: ["adapter.promoted"], source: null, active: false });

describe("subscriptions", () => {
  it("lists each subscription with its address, events, source and status", async () => {
    integrationsServer({ "GET /api/v1/integrations/subscriptions": { body: page([PAUSED, SYNC]) } });
    show();
    const region = await subscriptions();
    const sync = row(region, "Helpdesk sync");
    expect(sync).toHaveTextContent("https://desk.example.com/hooks/openbook");
    expect(sync).toHaveTextContent("suggestion.ready");
    expect(sync).toHaveTextContent("reply.sent");
    expect(sync).toHaveTextContent("zendesk");
    expect(sync).toHaveTextContent("active");
    expect(within(sync).getByRole("link", { name: "Deliveries" })).toHaveAttribute("href", "/integrations/outbound?subscription=4");
    expect(within(sync).getByRole("button", { name: "Edit" })).toHaveAccessibleDescription("Helpdesk sync");
    expect(row(region, "Analytics")).toHaveTextContent("off");
  });

  it("creates a subscription with chosen events and source, and shows its secret once", async () => {
    const user = userEvent.setup();
    const server = integrationsServer({
      "GET /api/v1/integrations/sources": { body: page([aSource()]) },
      "POST /api/v1/integrations/subscriptions": { status: 201, body: { ...SYNC, events: ["ticket.updated", "reply.sent"], secret: "whsec-made-by-the-server-0123456789" } },
    });
    show();
    const region = await screen.findByRole("region", { name: "Subscriptions" });
    await user.click(await within(region).findByRole("button", { name: "New subscription" }));
    const form = within(region).getByRole("form", { name: "New subscription" });
    const create = within(form).getByRole("button", { name: "Create subscription" });
    expect(create).toBeDisabled(); // no event chosen yet
    await user.type(within(form).getByLabelText("Name"), "Helpdesk sync");
    await user.type(within(form).getByLabelText("Address (URL)"), "https://desk.example.com/hooks/openbook");
    const events = within(form).getByRole("group", { name: "Events" });
    expect(within(events).getAllByRole("checkbox")).toHaveLength(5);
    // Chosen in any order, sent in the API's order.
    await user.click(within(events).getByRole("checkbox", { name: /ticket\.updated/ }));
    await user.click(within(events).getByRole("checkbox", { name: /reply\.sent/ }));
    await waitFor(() => expect(within(within(form).getByLabelText("Source (optional)")).getByRole("option", { name: "Zendesk production (zendesk)" })).toBeInTheDocument());
    await user.selectOptions(within(form).getByLabelText("Source (optional)"), "zendesk");
    await user.click(create);

    const shown = await within(region).findByRole("region", { name: "Helpdesk sync is subscribed: its signing secret" });
    expect(shown).toHaveTextContent("Store this secret now: it is not shown again.");
    expect(within(shown).getByLabelText("Signing secret")).toHaveTextContent("whsec-made-by-the-server-0123456789");
    expect(server.requests.find((r) => r.method === "POST")?.body).toEqual({
      name: "Helpdesk sync",
      url: "https://desk.example.com/hooks/openbook",
      events: ["reply.sent", "ticket.updated"],
      active: true,
      source: "zendesk",
    });
    await user.click(within(shown).getByRole("button", { name: "I have stored it" }));
    expect(screen.queryByText("whsec-made-by-the-server-0123456789")).toBeNull();
  });

  it("shows the server's refusal of an address next to it", async () => {
    const user = userEvent.setup();
    integrationsServer({
      "POST /api/v1/integrations/subscriptions": {
        status: 400,
        body: {
          detail: "The host '10.0.0.5' is a loopback, private or link-local address, which subscriptions may not call (see OUTBOUND_ALLOW_PRIVATE_ADDRESSES).",
          code: "invalid",
          errors: { url: ["The host '10.0.0.5' is a loopback, private or link-local address, which subscriptions may not call (see OUTBOUND_ALLOW_PRIVATE_ADDRESSES)."] },
        },
      },
    });
    show();
    await user.click(await screen.findByRole("button", { name: "New subscription" }));
    const form = screen.getByRole("form", { name: "New subscription" });
    await user.type(within(form).getByLabelText("Name"), "Inside");
    await user.type(within(form).getByLabelText("Address (URL)"), "http://10.0.0.5/hook");
    await user.click(within(form).getByRole("checkbox", { name: /suggestion\.ready/ }));
    await user.click(within(form).getByRole("button", { name: "Create subscription" }));
    const url = within(form).getByLabelText("Address (URL)");
    await waitFor(() => expect(url).toHaveAttribute("aria-invalid", "true"));
    expect(url).toHaveAccessibleDescription(/is a loopback, private or link-local address/);
    expect(within(form).getAllByRole("alert")).toHaveLength(1); // next to the field, not twice
    expect(screen.queryByRole("region", { name: /signing secret/ })).toBeNull();
    expect(screen.getByRole("form", { name: "New subscription" })).toBeInTheDocument();
  });

  it("edits the address, events and active switch, sending only what changed", async () => {
    const user = userEvent.setup();
    let current = SYNC;
    const server = integrationsServer({
      "GET /api/v1/integrations/subscriptions": () => ({ body: page([current]) }),
      "PATCH /api/v1/integrations/subscriptions/4": () => {
        current = { ...current, url: "https://desk.example.com/v2/hooks", events: ["suggestion.ready"], active: false };
        return { body: current };
      },
    });
    show();
    const region = await subscriptions();
    await user.click(within(row(region, "Helpdesk sync")).getByRole("button", { name: "Edit" }));
    const form = within(region).getByRole("form", { name: "Edit Helpdesk sync" });
    const save = within(form).getByRole("button", { name: "Save changes" });
    expect(save).toBeDisabled();
    const url = within(form).getByLabelText("Address (URL)");
    expect(url).toHaveValue("https://desk.example.com/hooks/openbook");
    await user.clear(url);
    await user.type(url, "https://desk.example.com/v2/hooks");
    await user.click(within(form).getByRole("checkbox", { name: /reply\.sent/ }));
    await user.click(within(form).getByRole("checkbox", { name: /^Active/ }));
    await user.click(save);
    expect(await within(region).findByText("Helpdesk sync is saved.")).toBeInTheDocument();
    expect(server.requests.find((r) => r.method === "PATCH")?.body).toEqual({
      url: "https://desk.example.com/v2/hooks",
      events: ["suggestion.ready"],
      active: false,
    });
    await waitFor(() => expect(row(region, "Helpdesk sync")).toHaveTextContent("off"));
    expect(screen.queryByRole("form", { name: "Edit Helpdesk sync" })).toBeNull();
  });

  it("rotates the secret from the edit form and shows the new one once", async () => {
    const user = userEvent.setup();
    const server = integrationsServer({
      "GET /api/v1/integrations/subscriptions": { body: page([SYNC]) },
      "PATCH /api/v1/integrations/subscriptions/4": { body: SYNC },
    });
    show();
    const region = await subscriptions();
    await user.click(within(row(region, "Helpdesk sync")).getByRole("button", { name: "Edit" }));
    const form = within(region).getByRole("form", { name: "Edit Helpdesk sync" });
    const secret = within(form).getByLabelText("New secret (optional)");
    expect(secret).toHaveAccessibleDescription(/Leave it empty to keep the current one/);
    await user.click(within(form).getByRole("button", { name: "Generate a secret" }));
    const made = (secret as HTMLInputElement).value;
    expect(made).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await user.click(within(form).getByRole("button", { name: "Save changes" }));
    const shown = await within(region).findByRole("region", { name: "The new secret of Helpdesk sync" });
    expect(within(shown).getByLabelText("Signing secret")).toHaveTextContent(made);
    expect(server.requests.find((r) => r.method === "PATCH")?.body).toEqual({ secret: made });
  });

  it("deletes a subscription only after confirming", async () => {
    const user = userEvent.setup();
    let listed = [SYNC, PAUSED];
    const server = integrationsServer({
      "GET /api/v1/integrations/subscriptions": () => ({ body: page(listed) }),
      "DELETE /api/v1/integrations/subscriptions/5": () => {
        listed = [SYNC];
        return { status: 204 };
      },
    });
    show();
    const region = await subscriptions();
    const remove = within(row(region, "Analytics")).getByRole("button", { name: "Delete" });
    await user.click(remove);
    let dialog = within(region).getByRole("alertdialog", { name: "Delete Analytics?" });
    expect(dialog).toHaveTextContent("its delivery history is deleted with it");
    await user.keyboard("{Escape}");
    expect(within(region).queryByRole("alertdialog")).toBeNull();
    expect(remove).toHaveFocus();
    expect(server.requests.some((r) => r.method === "DELETE")).toBe(false);

    await user.click(remove);
    dialog = within(region).getByRole("alertdialog", { name: "Delete Analytics?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await within(region).findByText("Analytics is deleted, with its delivery history.")).toBeInTheDocument();
    expect(server.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(["/api/v1/integrations/subscriptions/5"]);
    await waitFor(() => expect(within(region).queryByRole("rowheader", { name: "Analytics" })).toBeNull());
  });

  it("shows the server's message when deleting fails, keeping the confirmation open", async () => {
    const user = userEvent.setup();
    integrationsServer({
      "GET /api/v1/integrations/subscriptions": { body: page([SYNC]) },
      "DELETE /api/v1/integrations/subscriptions/4": { status: 404, body: { detail: "Not found.", code: "not_found" } },
    });
    show();
    const region = await subscriptions();
    await user.click(within(row(region, "Helpdesk sync")).getByRole("button", { name: "Delete" }));
    const dialog = within(region).getByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("Not found.");
  });

  it("says what to do when there is none", async () => {
    integrationsServer();
    show();
    expect(await screen.findByText(/No subscription yet/)).toBeInTheDocument();
  });

  it("knows what an edit changed", () => {
    const before = valuesOf(SYNC);
    expect(changesBetween(before, { ...before })).toEqual({});
    expect(changesBetween(before, { ...before, events: ["reply.sent", "suggestion.ready"] })).toEqual({});
    expect(changesBetween(before, { ...before, source: "", name: " Sync " })).toEqual({ source: null, name: "Sync" });
  });
});
