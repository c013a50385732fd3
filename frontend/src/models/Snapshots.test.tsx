import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { page, renderAt } from "../test/server";
import { aSnapshot, dashboardServer } from "./fixtures";
import { ModelsDashboard } from "./ModelsDashboard";
import { counts } from "./Snapshots";

function show() {
  return renderAt(<ModelsDashboard />, { path: "/models", route: "/models" });
}

describe("dataset snapshots", () => {
  it("shows each snapshot's counts, what was left out, and more statistics on demand", async () => {
    dashboardServer({
      "GET /api/v1/training/snapshots": {
        body: page([aSnapshot(), aSnapshot({ id: 2, content_hash: "c".repeat(64), withdrawn_at: "2026-11-19T00:00:00Z" })]),
      },
    });
    show();
    const region = await screen.findByRole("region", { name: "Dataset snapshots" });
    const rows = within(await within(region).findByRole("table")).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("3f9a0c2b7d4e");
    expect(rows[1]).toHaveTextContent("50 of 56");
    expect(rows[1]).toHaveTextContent("2 duplicate, 1 rejected, 3 too short");
    expect(rows[1]).toHaveTextContent("available");
    expect(within(rows[1]).getAllByRole("cell").slice(1, 4).map((c) => c.textContent)).toEqual(["40", "10", "4"]);
    expect(rows[2]).toHaveTextContent("withdrawn");

    const details = within(rows[1]).getByRole("button", { name: "Details: statistics of snapshot 3f9a0c2b7d4e" });
    await userEvent.click(details);
    expect(details).toHaveAttribute("aria-expanded", "true");
    expect(region).toHaveTextContent("30 accepted, 16 edited, 4 rewritten");
    expect(region).toHaveTextContent("mean 320.4, median 300, longest 1,200");
    expect(region).toHaveTextContent("5 EMAIL, 2 PHONE");
    expect(region).toHaveTextContent("3f9a0c2b7d4e5f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a");
  });

  it("builds a snapshot and says whether it is new", async () => {
    let created = true;
    const server = dashboardServer({
      "POST /api/v1/training/snapshots": () => ({ status: created ? 201 : 200, body: aSnapshot() }),
    });
    show();
    const region = await screen.findByRole("region", { name: "Dataset snapshots" });
    expect(await within(region).findByText(/No dataset snapshot yet/)).toHaveTextContent("press “Build snapshot”");
    await userEvent.click(within(region).getByRole("button", { name: "Build snapshot" }));
    expect(await within(region).findByText("Built snapshot 3f9a0c2b7d4e: 40 train, 10 eval examples.")).toBeInTheDocument();
    created = false;
    await userEvent.click(within(region).getByRole("button", { name: "Build snapshot" }));
    expect(await within(region).findByText("Nothing changed since snapshot 3f9a0c2b7d4e: it was kept.")).toBeInTheDocument();
    expect(server.requests.filter((r) => r.method === "POST")).toHaveLength(2);
  });

  it("shows why a snapshot could not be built", async () => {
    dashboardServer({
      "POST /api/v1/training/snapshots": {
        status: 400,
        body: { detail: "Only 1 of 3 examples are usable (2 too_short): a dataset needs at least two.", code: "dataset" },
      },
    });
    show();
    const region = await screen.findByRole("region", { name: "Dataset snapshots" });
    await userEvent.click(within(region).getByRole("button", { name: "Build snapshot" }));
    expect(await within(region).findByRole("alert")).toHaveTextContent("Only 1 of 3 examples are usable");
  });

  it("writes counts readably", () => {
    expect(counts({ too_short: 2, stale: 0 })).toBe("2 too short");
    expect(counts(undefined)).toBe("none");
  });
});
