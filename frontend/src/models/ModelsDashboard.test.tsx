import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import { page, renderAt, testClient } from "../test/server";
import { anAdapter, aRun, dashboardServer } from "./fixtures";
import { ModelsDashboard } from "./ModelsDashboard";

describe("the models dashboard", () => {
  it("is reached by an administrator at /models and names every section", async () => {
    dashboardServer();
    window.history.pushState({}, "", "/models");
    render(<App client={testClient()} />);
    expect(await screen.findByRole("heading", { level: 1, name: "Models" })).toBeInTheDocument();
    for (const name of ["Training runs", "Evaluation matrix", "Adapters", "Dataset snapshots", "Decisions", "Retriever"]) {
      expect(screen.getByRole("heading", { level: 2, name })).toBeInTheDocument();
      expect(within(screen.getByRole("navigation", { name: "Sections of the models dashboard" })).getByRole("link", { name })).toBeInTheDocument();
    }
  });

  it("gives every empty section a next step", async () => {
    dashboardServer();
    renderAt(<ModelsDashboard />, { path: "/models", route: "/models" });
    expect(await screen.findByText(/No training run yet/)).toBeInTheDocument();
    expect(await screen.findByText(/No evaluation yet/)).toBeInTheDocument();
    expect(await screen.findByText(/No adapter yet/)).toBeInTheDocument();
    expect(await screen.findByText(/No dataset snapshot yet/)).toBeInTheDocument();
    expect(await screen.findByText(/No decision yet/)).toBeInTheDocument();
    expect(await screen.findByText(/No adaptation run yet/)).toBeInTheDocument();
    expect(screen.getByText(/Drafting with:/)).toHaveTextContent("Drafting with: the base model");
    expect(screen.getByText(/Training:/)).toHaveTextContent("Training: idle");
  });

  it("shows the server's message in every section when the API refuses, never a blank page", async () => {
    const refusal = { status: 400, body: { detail: "The training database is being migrated.", code: "unavailable" } };
    dashboardServer({
      "GET /api/v1/training/runs": refusal,
      "GET /api/v1/training/snapshots": refusal,
      "GET /api/v1/training/adapters": refusal,
      "GET /api/v1/training/evaluations": refusal,
      "GET /api/v1/training/events": refusal,
      "GET /api/v1/knowledge/retriever": refusal,
    });
    renderAt(<ModelsDashboard />, { path: "/models", route: "/models" });
    for (const name of ["Training runs", "Evaluation matrix", "Adapters", "Dataset snapshots", "Decisions", "Retriever"]) {
      const region = await screen.findByRole("region", { name });
      expect(await within(region).findByRole("alert")).toHaveTextContent("The training database is being migrated.");
    }
    expect(screen.getByText(/Drafting with:/)).toHaveTextContent("unknown");
  });

  it("says what drafts replies and which run is training", async () => {
    dashboardServer({
      "GET /api/v1/training/adapters": { body: page([anAdapter({ name: "style-r9", status: "active", is_active: true })]) },
      "GET /api/v1/training/runs": { body: page([aRun({ id: 30, status: "running", finished_at: null })]) },
      "GET /api/v1/training/runs/30": { body: aRun({ id: 30, status: "running", finished_at: null }) },
    });
    renderAt(<ModelsDashboard />, { path: "/models", route: "/models" });
    expect(await screen.findByText("style-r9", { selector: ".models-summary strong" })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: /run 30 running/ })).toHaveAttribute("href", "#training-runs");
    expect(screen.getByRole("button", { name: "Start a run" })).toBeDisabled();
    expect(screen.getByText("Run 30 is running: one run at a time.")).toBeInTheDocument();
  });
});
