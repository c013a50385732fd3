import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderAt } from "../test/server";
import { aRun, anEvent, dashboardServer } from "./fixtures";
import { ModelsDashboard } from "./ModelsDashboard";

function show() {
  return renderAt(<ModelsDashboard />, { path: "/models", route: "/models" });
}

describe("decisions", () => {
  it("lists the cycle's decisions and the promotions with reasons, who acted and when", async () => {
    dashboardServer({
      "GET /api/v1/training/events": {
        body: {
          count: 45,
          next: "http://test/api/v1/training/events?page=2",
          previous: null,
          results: [
            anEvent({ id: 12, action: "rolled_back", adapter: null, previous: "style-r12", reason: "Customers complained.", by: "ada", details: {}, created_at: "2026-11-21T09:30:00Z" }),
            anEvent({ id: 11, action: "skipped", adapter: null, reason: "3 new examples since the last snapshot; 50 are needed.", details: { decision: "skipped" } }),
            anEvent(),
          ],
        },
      },
      "GET /api/v1/training/runs/12": { body: aRun() },
    });
    show();
    const region = await screen.findByRole("region", { name: "Decisions" });
    const rows = within(await within(region).findByRole("table")).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("Rolled back");
    expect(rows[1]).toHaveTextContent("base model");
    expect(rows[1]).toHaveTextContent("before: style-r12");
    expect(rows[1]).toHaveTextContent("ada");
    expect(rows[1]).toHaveTextContent("Customers complained.");
    expect(within(rows[1]).getByText(/2026/).closest("time")).toHaveAttribute("dateTime", "2026-11-21T09:30:00Z");
    expect(rows[2]).toHaveTextContent("Cycle skipped");
    expect(rows[2]).toHaveTextContent("Nightly cycle");
    expect(rows[2]).toHaveTextContent("50 are needed.");
    expect(rows[3]).toHaveTextContent("Kept the active model");
    expect(rows[3]).toHaveTextContent("does not beat the active model's 0.3000 by 0.01.");
    expect(within(region).getByRole("navigation", { name: "Decisions pages" })).toBeInTheDocument();

    await userEvent.click(within(rows[3]).getByRole("button", { name: "Show run 12" }));
    expect(await screen.findByRole("img", { name: "Loss curve of run 12" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Training runs" })).toHaveFocus();
  });

  it("pages to older decisions", async () => {
    const server = dashboardServer({
      "GET /api/v1/training/events": (_request, url) =>
        url.searchParams.get("page") === "2"
          ? { body: { count: 21, next: null, previous: "http://test/api/v1/training/events", results: [anEvent({ id: 1, reason: "The oldest one." })] } }
          : { body: { count: 21, next: "http://test/api/v1/training/events?page=2", previous: null, results: [anEvent()] } },
    });
    show();
    const region = await screen.findByRole("region", { name: "Decisions" });
    await userEvent.click(await within(region).findByRole("button", { name: "Older →" }));
    expect(await within(region).findByText("The oldest one.")).toBeInTheDocument();
    expect(server.requests.some((r) => r.path === "/api/v1/training/events" && r.search.includes("page=2"))).toBe(true);
  });

  it("says what to do when nothing was decided yet, and shows the server's message on failure", async () => {
    dashboardServer();
    show();
    const region = await screen.findByRole("region", { name: "Decisions" });
    expect(await within(region).findByText(/No decision yet/)).toHaveTextContent("each nightly cycle records one here");
  });

  it("shows why the decisions could not be read", async () => {
    dashboardServer({ "GET /api/v1/training/events": { status: 500, body: { detail: "Something failed on our side.", code: "server_error" } } });
    show();
    const region = await screen.findByRole("region", { name: "Decisions" });
    expect(await within(region).findByRole("alert", {}, { timeout: 4000 })).toHaveTextContent("Something failed on our side.");
  });
});
