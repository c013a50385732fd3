import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { page, renderAt } from "../test/server";
import { aSource, integrationsServer } from "./fixtures";
import { IntegrationsPage } from "./IntegrationsPage";
import { randomSecret } from "./parts";

function show(path = "/integrations/sources") {
  return renderAt(<IntegrationsPage />, { path, route: "/integrations/*" });
}

async function sources() {
  const region = await screen.findByRole("region", { name: "Sources" });
  await within(region).findByRole("table");
  return region;
}

function row(region: HTMLElement, name: string): HTMLElement {
  return within(region).getByRole("rowheader", { name }).closest("tr")!;
}

const ZENDESK = aSource();
const DESK = aSource({ id: 2, name: "Freshdesk EU", slug: "freshdesk-eu", kind: "freshdesk", active: false });

describe("sources", () => {
  it("lists each source with its slug, kind, switch and whole events address, which copies", async () => {
    const user = userEvent.setup();
    integrationsServer({ "GET /api/v1/integrations/sources": { body: page([ZENDESK, DESK]) } });
    show("/integrations");
    const region = await sources();
    const zendesk = row(region, "Zendesk production");
    expect(zendesk).toHaveTextContent("zendesk");
    expect(zendesk).toHaveTextContent("Zendesk");
    const url = `${window.location.origin}/api/v1/integrations/zendesk/events`;
    expect(zendesk).toHaveTextContent(url);
    expect(within(zendesk).getByRole("switch", { name: "Receive events from Zendesk production" })).toBeChecked();
    expect(within(row(region, "Freshdesk EU")).getByRole("switch")).not.toBeChecked();
    await user.click(within(zendesk).getByRole("button", { name: "Copy the events address of Zendesk production" }));
    expect(await navigator.clipboard.readText()).toBe(url);
    expect(within(zendesk).getByText("Copied.")).toBeInTheDocument();
    // The page's own tab is marked as the current one.
    expect(screen.getByRole("link", { name: "Sources" })).toHaveAttribute("aria-current", "page");
    expect(within(zendesk).getByRole("link", { name: "Events" })).toHaveAttribute("href", "/integrations/inbound?source=zendesk");
  });

  it("creates a source and shows its secret once, with what to paste where", async () => {
    const user = userEvent.setup();
    let listed = [ZENDESK];
    const server = integrationsServer({
      "GET /api/v1/integrations/sources": () => ({ body: page(listed) }),
      "POST /api/v1/integrations/sources": () => {
        listed = [...listed, DESK];
        return { status: 201, body: { ...DESK, active: true, secret: "s3cret-from-the-server-0123456789abcdef" } };
      },
    });
    show();
    const region = await sources();
    await user.click(within(region).getByRole("button", { name: "New source" }));
    const form = within(region).getByRole("form", { name: "New source" });
    await user.type(within(form).getByLabelText("Name"), "Freshdesk EU");
    await user.type(within(form).getByLabelText("Slug (optional)"), "freshdesk-eu");
    await user.selectOptions(within(form).getByLabelText("Kind"), "freshdesk");
    expect(within(form).getByLabelText("Secret (optional)")).toHaveAccessibleDescription(/Leave it empty for a new random one/);
    await user.click(within(form).getByRole("button", { name: "Create source" }));

    const shown = await within(region).findByRole("region", { name: "Freshdesk EU is ready: its signing secret" });
    expect(shown).toHaveTextContent("Store this secret now: it is not shown again.");
    expect(within(shown).getByLabelText("Signing secret")).toHaveTextContent("s3cret-from-the-server-0123456789abcdef");
    expect(shown).toHaveTextContent("X-Openbook-Token");
    expect(shown).toHaveTextContent(`${window.location.origin}/api/v1/integrations/freshdesk-eu/events`);
    await user.click(within(shown).getByRole("button", { name: "Copy the secret" }));
    expect(await navigator.clipboard.readText()).toBe("s3cret-from-the-server-0123456789abcdef");
    expect(server.requests.find((r) => r.method === "POST")?.body).toEqual({ name: "Freshdesk EU", slug: "freshdesk-eu", kind: "freshdesk" });
    expect(screen.queryByRole("form", { name: "New source" })).toBeNull();
    await waitFor(() => expect(within(region).getByRole("rowheader", { name: "Freshdesk EU" })).toBeInTheDocument());

    await user.click(within(shown).getByRole("button", { name: "I have stored it" }));
    expect(screen.queryByText("s3cret-from-the-server-0123456789abcdef")).toBeNull();
  });

  it("asks for Zendesk's signing secret when the source is Zendesk, and sends it", async () => {
    const user = userEvent.setup();
    const server = integrationsServer({
      "POST /api/v1/integrations/sources": { status: 201, body: { ...ZENDESK, secret: "zendesk-made-this-secret-1234" } },
    });
    show();
    await user.click(await screen.findByRole("button", { name: "New source" }));
    const form = screen.getByRole("form", { name: "New source" });
    await user.type(within(form).getByLabelText("Name"), "Zendesk production");
    await user.selectOptions(within(form).getByLabelText("Kind"), "zendesk");
    const secret = within(form).getByLabelText("Zendesk's signing secret");
    expect(secret).toBeRequired();
    expect(secret).toHaveAccessibleDescription(/copy it from the webhook's page in Zendesk/);
    await user.type(secret, "zendesk-made-this-secret-1234");
    await user.click(within(form).getByRole("button", { name: "Create source" }));
    expect(await screen.findByRole("region", { name: "Zendesk production is ready: its signing secret" })).toHaveTextContent("Admin Center");
    expect(server.requests.find((r) => r.method === "POST")?.body).toEqual({
      name: "Zendesk production",
      kind: "zendesk",
      secret: "zendesk-made-this-secret-1234",
    });
  });

  it("shows the server's messages next to the fields they are about", async () => {
    const user = userEvent.setup();
    integrationsServer({
      "POST /api/v1/integrations/sources": {
        status: 409,
        body: { detail: "An integration source named 'zendesk' already exists.", code: "conflict", errors: { slug: ["An integration source named 'zendesk' already exists."] } },
      },
    });
    show();
    await user.click(await screen.findByRole("button", { name: "New source" }));
    const form = screen.getByRole("form", { name: "New source" });
    await user.type(within(form).getByLabelText("Name"), "Zendesk");
    await user.type(within(form).getByLabelText("Slug (optional)"), "zendesk");
    await user.click(within(form).getByRole("button", { name: "Create source" }));
    const slug = within(form).getByLabelText("Slug (optional)");
    await waitFor(() => expect(slug).toHaveAttribute("aria-invalid", "true"));
    expect(slug).toHaveAccessibleDescription(/An integration source named 'zendesk' already exists\./);
    expect(within(form).getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
    expect(within(form).getAllByRole("alert")).toHaveLength(1);
    expect(screen.queryByRole("region", { name: /signing secret/ })).toBeNull();
  });

  it("switches a source off and says what that means", async () => {
    const user = userEvent.setup();
    let source = ZENDESK;
    const server = integrationsServer({
      "GET /api/v1/integrations/sources": () => ({ body: page([source]) }),
      "PATCH /api/v1/integrations/sources/1": () => {
        source = { ...source, active: false };
        return { body: source };
      },
    });
    show();
    const region = await sources();
    await user.click(within(row(region, "Zendesk production")).getByRole("switch"));
    expect(await within(region).findByText("Zendesk production is off: its events are refused (404) until it is switched on.")).toBeInTheDocument();
    expect(server.requests.find((r) => r.method === "PATCH")?.body).toEqual({ active: false });
    await waitFor(() => expect(within(row(region, "Zendesk production")).getByRole("switch")).not.toBeChecked());
  });

  it("rotates a secret made in the browser after confirming, and shows it once", async () => {
    const user = userEvent.setup();
    let answer: { status: number; body: unknown } = {
      status: 400,
      body: { detail: "Invalid input.", code: "invalid", errors: { secret: ["Ensure this field has at least 16 characters."] } },
    };
    const server = integrationsServer({
      "GET /api/v1/integrations/sources": { body: page([aSource({ kind: "generic", name: "Desk", slug: "desk" })]) },
      "PATCH /api/v1/integrations/sources/1": () => answer,
    });
    show();
    const region = await sources();
    await user.click(within(row(region, "Desk")).getByRole("button", { name: "Rotate secret" }));
    const dialog = within(region).getByRole("alertdialog", { name: "Rotate the secret of Desk?" });
    expect(dialog).toHaveTextContent("requests signed with the old secret are refused");
    const input = within(dialog).getByLabelText("New secret");
    expect(input).toHaveFocus();
    const generated = (input as HTMLInputElement).value;
    expect(generated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await user.click(within(dialog).getByRole("button", { name: "Generate a secret" }));
    expect((input as HTMLInputElement).value).not.toBe(generated);
    expect(server.requests.some((r) => r.method === "PATCH")).toBe(false);

    // The server's refusal is shown next to the field, once.
    await user.click(within(dialog).getByRole("button", { name: "Save the new secret" }));
    await waitFor(() => expect(input).toHaveAccessibleDescription(/Ensure this field has at least 16 characters\./));
    expect(within(dialog).getAllByRole("alert")).toHaveLength(1);

    answer = { status: 200, body: aSource({ kind: "generic", name: "Desk", slug: "desk" }) };
    await user.clear(input);
    await user.type(input, "a-new-secret-of-my-own-1234");
    await user.click(within(dialog).getByRole("button", { name: "Save the new secret" }));
    const shown = await within(region).findByRole("region", { name: "The new secret of Desk" });
    expect(within(shown).getByLabelText("Signing secret")).toHaveTextContent("a-new-secret-of-my-own-1234");
    expect(server.requests.filter((r) => r.method === "PATCH").at(-1)?.body).toEqual({ secret: "a-new-secret-of-my-own-1234" });
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  it("shows each kind's setup notes", async () => {
    const user = userEvent.setup();
    integrationsServer({ "GET /api/v1/integrations/sources": { body: page([ZENDESK, DESK, aSource({ id: 3, name: "Home-grown", slug: "mine", kind: "generic" })]) } });
    show();
    const region = await sources();
    await user.click(within(row(region, "Freshdesk EU")).getByRole("button", { name: "Setup" }));
    expect(within(row(region, "Freshdesk EU")).getByRole("button", { name: "Setup" })).toHaveAttribute("aria-expanded", "true");
    expect(region).toHaveTextContent("X-Openbook-Token");
    await user.click(within(row(region, "Home-grown")).getByRole("button", { name: "Setup" }));
    expect(region).not.toHaveTextContent("X-Openbook-Token");
    expect(region).toHaveTextContent("X-Openbook-Signature");
    await user.click(within(row(region, "Zendesk production")).getByRole("button", { name: "Setup" }));
    expect(region).toHaveTextContent("Apps and integrations → Webhooks");
    await user.click(within(row(region, "Zendesk production")).getByRole("button", { name: "Setup" }));
    expect(region).not.toHaveTextContent("Apps and integrations → Webhooks");
  });

  it("says what to do when there is none, and why the list could not be read", async () => {
    integrationsServer();
    show();
    expect(await screen.findByText(/No source yet/)).toHaveTextContent("manage.py create_integration_source NAME");
  });

  it("shows the server's message when the sources cannot be listed", async () => {
    integrationsServer({ "GET /api/v1/integrations/sources": { status: 403, body: { detail: "You do not have permission to perform this action.", code: "permission_denied" } } });
    show();
    const region = await screen.findByRole("region", { name: "Sources" });
    expect(await within(region).findByRole("alert")).toHaveTextContent("You do not have permission to perform this action.");
  });

  it("makes random secrets long enough and different each time", () => {
    const made = new Set(Array.from({ length: 20 }, () => randomSecret()));
    expect(made.size).toBe(20);
    for (const secret of made) expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
