import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { page, renderAt } from "../test/server";
import { headline } from "./Adapters";
import { anAdapter, anEvaluation, anEvent, dashboardServer } from "./fixtures";
import { ModelsDashboard } from "./ModelsDashboard";

function show() {
  return renderAt(<ModelsDashboard />, { path: "/models", route: "/models" });
}

const ACTIVE = anAdapter({ id: 4, name: "style-r9", status: "active", is_active: true, promoted_by: "schedule", promoted_at: "2026-11-19T02:06:00Z" });
const CANDIDATE = anAdapter({ id: 5, name: "style-r12", status: "rejected" });

async function adapters() {
  const region = await screen.findByRole("region", { name: "Adapters" });
  await within(region).findByRole("table");
  return region;
}

function row(region: HTMLElement, name: string): HTMLElement {
  return within(region).getByRole("rowheader", { name }).closest("tr")!;
}

describe("adapters", () => {
  it("lists each adapter with its status, base model, snapshot and evaluation numbers", async () => {
    dashboardServer({ "GET /api/v1/training/adapters": { body: page([CANDIDATE, ACTIVE]) } });
    show();
    const region = await adapters();
    const candidate = row(region, "style-r12");
    expect(candidate).toHaveTextContent("rejected");
    expect(candidate).toHaveTextContent("demo-model");
    expect(candidate).toHaveTextContent("3f9a0c2b7d4e");
    expect(candidate).toHaveTextContent("0.4123");
    expect(candidate).toHaveTextContent("0.9100");
    expect(candidate).toHaveTextContent("22.25");
    expect(within(candidate).getByRole("button", { name: "Promote" })).toHaveAccessibleDescription("style-r12");
    const active = row(region, "style-r9");
    expect(active).toHaveTextContent("active");
    expect(active).toHaveTextContent("by Nightly cycle");
    expect(within(active).getByRole("button", { name: "Roll back" })).toBeInTheDocument();
    expect(within(active).queryByRole("button", { name: "Promote" })).toBeNull();
    expect(screen.getByText("style-r9", { selector: "strong" })).toBeInTheDocument(); // "Drafting with" summary
  });

  it("asks for confirmation before promoting, then POSTs and refreshes", async () => {
    let promoted = false;
    const server = dashboardServer({
      "GET /api/v1/training/adapters": () => ({
        body: page(promoted ? [{ ...CANDIDATE, status: "active", is_active: true }, { ...ACTIVE, status: "retired", is_active: false }] : [CANDIDATE, ACTIVE]),
      }),
      "GET /api/v1/training/events": { body: page([anEvent()]) },
      "POST /api/v1/training/adapters/5/promote": () => {
        promoted = true;
        return { body: { ...CANDIDATE, status: "active", is_active: true } };
      },
    });
    show();
    const region = await adapters();
    await userEvent.click(within(row(region, "style-r12")).getByRole("button", { name: "Promote" }));
    const dialog = screen.getByRole("alertdialog", { name: "Promote style-r12?" });
    expect(dialog).toHaveTextContent("style-r9 is retired");
    // The cycle's reason for not promoting it is shown before promoting by hand.
    expect(dialog).toHaveTextContent("The nightly cycle did not promote it: The candidate's chrF 0.3050");
    expect(within(dialog).getByLabelText(/Reason/)).toHaveFocus();
    expect(server.requests.some((r) => r.method === "POST")).toBe(false);

    await userEvent.type(within(dialog).getByLabelText(/Reason/), "Reads better in review");
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(region).findByText("style-r12 is now the active adapter; workers switch to it within seconds.")).toBeInTheDocument();
    const post = server.requests.find((r) => r.method === "POST")!;
    expect(post.path).toBe("/api/v1/training/adapters/5/promote");
    expect(post.body).toEqual({ reason: "Reads better in review" });
    expect(post.headers.get("X-CSRFToken")).toBe("test-token");
    await waitFor(() => expect(within(row(region, "style-r12")).getByRole("button", { name: "Roll back" })).toBeInTheDocument());
    expect(row(region, "style-r9")).toHaveTextContent("retired");
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  it("shows the server's message when promoting fails (409) and keeps the confirmation open", async () => {
    const server = dashboardServer({
      "GET /api/v1/training/adapters": { body: page([CANDIDATE, ACTIVE]) },
      "POST /api/v1/training/adapters/5/promote": { status: 409, body: { detail: "Adapter style-r12 is already active.", code: "already_active" } },
    });
    show();
    const region = await adapters();
    await userEvent.click(within(row(region, "style-r12")).getByRole("button", { name: "Promote" }));
    const dialog = screen.getByRole("alertdialog", { name: "Promote style-r12?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("Adapter style-r12 is already active.");
    expect(server.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    // Dismissed with the keyboard, nothing more is sent.
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(within(row(region, "style-r12")).getByRole("button", { name: "Promote" })).toHaveFocus();
  });

  it("rolls back after confirming, saying where drafts go", async () => {
    const server = dashboardServer({
      "GET /api/v1/training/adapters": { body: page([CANDIDATE, ACTIVE]) },
      "GET /api/v1/training/events": { body: page([anEvent({ id: 3, action: "promoted", adapter: "style-r9", previous: "style-r5" })]) },
      "POST /api/v1/training/adapters/rollback": { body: anAdapter({ id: 2, name: "style-r5", status: "active", is_active: true }) },
    });
    show();
    const region = await adapters();
    await screen.findByRole("button", { name: "Show run 12" }); // the events have loaded
    await userEvent.click(within(row(region, "style-r9")).getByRole("button", { name: "Roll back" }));
    const dialog = screen.getByRole("alertdialog", { name: "Roll back style-r9?" });
    expect(dialog).toHaveTextContent("style-r9 is retired and drafts go back to style-r5, the adapter active before it.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(server.requests.some((r) => r.method === "POST")).toBe(false);

    await userEvent.click(within(row(region, "style-r9")).getByRole("button", { name: "Roll back" }));
    await userEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Confirm" }));
    expect(await within(region).findByText("Rolled back: style-r5 is the active adapter again.")).toBeInTheDocument();
    expect(server.requests.find((r) => r.method === "POST")?.path).toBe("/api/v1/training/adapters/rollback");
  });

  it("understands an empty roll-back answer: back to the base model", async () => {
    dashboardServer({
      "GET /api/v1/training/adapters": { body: page([ACTIVE]) },
      "POST /api/v1/training/adapters/rollback": { body: undefined },
    });
    show();
    const region = await adapters();
    await userEvent.click(within(row(region, "style-r9")).getByRole("button", { name: "Roll back" }));
    await userEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Confirm" }));
    expect(await within(region).findByText("Rolled back: drafts use the bare base model again.")).toBeInTheDocument();
  });

  it("links an adapter to its evaluation", async () => {
    dashboardServer({
      "GET /api/v1/training/adapters": { body: page([CANDIDATE]) },
      "GET /api/v1/training/evaluations": { body: page([anEvaluation({ id: 6, candidate: "style-r14" }), anEvaluation()]) },
    });
    show();
    const region = await adapters();
    await userEvent.click(await within(row(region, "style-r12")).findByRole("button", { name: "Evaluation" }));
    const matrix = screen.getByRole("region", { name: "Evaluation matrix" });
    expect(within(matrix).getByRole("table")).toHaveTextContent("Evaluation 4: candidate style-r12");
  });

  it("says what to do when there is no adapter, and shows the server's message on failure", async () => {
    dashboardServer();
    show();
    const region = await screen.findByRole("region", { name: "Adapters" });
    expect(await within(region).findByText(/No adapter yet/)).toHaveTextContent("a training run that succeeds registers its adapter");
  });

  it("shows why the registry could not be read", async () => {
    dashboardServer({ "GET /api/v1/training/adapters": { status: 403, body: { detail: "You do not have permission to perform this action.", code: "permission_denied" } } });
    show();
    const region = await screen.findByRole("region", { name: "Adapters" });
    expect(await within(region).findByRole("alert")).toHaveTextContent("You do not have permission to perform this action.");
  });

  it("reads an adapter's headline numbers defensively", () => {
    expect(headline({})).toEqual({ chrf: null, grounded: null, perplexity: null });
    expect(headline(anAdapter().metrics)).toEqual({ chrf: 0.4123, grounded: 0.91, perplexity: 22.25 });
  });
});
