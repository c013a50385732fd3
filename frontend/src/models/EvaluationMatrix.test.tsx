import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { page, renderAt } from "../test/server";
import { anEvaluation, anEvent, dashboardServer } from "./fixtures";
import { bestOf, metricColumns } from "./EvaluationMatrix";
import { ModelsDashboard } from "./ModelsDashboard";

function show(path = "/models") {
  return renderAt(<ModelsDashboard />, { path, route: "/models" });
}

async function matrix() {
  const region = await screen.findByRole("region", { name: "Evaluation matrix" });
  return { region, table: await within(region).findByRole("table") };
}

function cell(table: HTMLElement, system: string, column: string): HTMLElement {
  const headers = within(table).getAllByRole("columnheader").map((th) => th.textContent ?? "");
  const index = headers.findIndex((text) => text.startsWith(column));
  const row = within(table).getByRole("rowheader", { name: system }).closest("tr")!;
  return row.children[index] as HTMLElement;
}

describe("the evaluation matrix", () => {
  it("shows every configuration and metric, and highlights the best of each column", async () => {
    dashboardServer({ "GET /api/v1/training/evaluations": { body: page([anEvaluation()]) } });
    show();
    const { table } = await matrix();
    const systems = within(table).getAllByRole("rowheader").map((th) => th.textContent);
    expect(systems).toEqual([
      "base, with retrieval",
      "base, without retrieval",
      "candidate, with retrieval",
      "candidate, without retrieval",
      "extractive, with retrieval",
    ]);
    const headers = within(table).getAllByRole("columnheader").map((th) => th.textContent);
    expect(headers.map((h) => h?.split(" ")[0])).toEqual(["System", "chrF", "ROUGE-L", "Semantic", "Grounded", "House", "Perplexity"]);
    expect(cell(table, "candidate, with retrieval", "chrF")).toHaveAttribute("data-best", "true");
    expect(cell(table, "candidate, with retrieval", "chrF")).toHaveTextContent("0.4100 (best)");
    expect(cell(table, "base, with retrieval", "chrF")).not.toHaveAttribute("data-best");
    expect(cell(table, "extractive, with retrieval", "Grounded")).toHaveAttribute("data-best", "true");
    expect(cell(table, "candidate, without retrieval", "House")).toHaveAttribute("data-best", "true");
    // Perplexity: lower is better, one value per model (both retrieval rows), none for the extractive backend.
    expect(cell(table, "base, without retrieval", "Perplexity")).toHaveAttribute("data-best", "true");
    expect(cell(table, "candidate, with retrieval", "Perplexity")).toHaveTextContent("22.25");
    expect(cell(table, "extractive, with retrieval", "Perplexity")).toHaveTextContent("—");
    // Not measured anywhere: nothing to call best.
    expect(cell(table, "base, with retrieval", "Semantic")).toHaveTextContent("—");
    expect(table.querySelectorAll("[data-best]")).toHaveLength(6);
  });

  it("shows the cycle's decision with its reason and each check of the gate", async () => {
    const kept = anEvaluation({
      decision: anEvent({ reason: "The candidate's chrF 0.4100 does not beat the active model's 0.4050 by 0.01." }),
      gate: {
        promote: false,
        reason: "The candidate's chrF 0.4100 does not beat the active model's 0.4050 by 0.01.",
        margin: 0.01,
        forgetting_limit: 1.5,
        checks: [
          { name: "chrf", passed: false, detail: "The candidate's chrF 0.4100 does not beat the active model's 0.4050 by 0.01." },
          { name: "grounding", passed: null, detail: "The grounded-sentence rate was not measured." },
          { name: "forgetting", passed: true, detail: "Perplexity on general text 22.25 against the base model's 20.5: within 1.5x." },
        ],
      },
    });
    dashboardServer({ "GET /api/v1/training/evaluations": { body: page([kept]) } });
    show();
    const { region } = await matrix();
    const reasons = within(region).getByRole("group", { name: "Decision and reasons" });
    expect(reasons).toHaveTextContent("Kept the active model");
    expect(reasons).toHaveTextContent("does not beat the active model's 0.4050 by 0.01. (Nightly cycle,");
    expect(reasons).toHaveTextContent("the gate would not promote it.");
    const checks = within(reasons).getAllByRole("listitem").map((li) => li.textContent);
    expect(checks[0]).toMatch(/^✗Failed: Beats the incumbent on chrF — The candidate's chrF/);
    expect(checks[1]).toMatch(/^–Not measured: No grounding regression/);
    expect(checks[2]).toMatch(/^✓Passed: No forgetting of general language — Perplexity/);
  });

  it("says when a matrix was evaluated by hand, and switches between evaluations", async () => {
    dashboardServer({
      "GET /api/v1/training/evaluations": {
        body: page([anEvaluation({ id: 6, candidate: "style-r14", decision: null }), anEvaluation()]),
      },
    });
    show();
    const { region } = await matrix();
    expect(within(region).getByRole("table")).toHaveTextContent("Evaluation 6: candidate style-r14");
    expect(region).toHaveTextContent("No decision was recorded on this matrix: it was evaluated by hand");
    await userEvent.selectOptions(within(region).getByLabelText("Evaluation"), "4");
    expect(within(region).getByRole("table")).toHaveTextContent("Evaluation 4: candidate style-r12");
    expect(region).toHaveTextContent("Promoted");
  });

  it("opens an older evaluation a decision links to", async () => {
    const server = dashboardServer({
      "GET /api/v1/training/evaluations": { body: page([anEvaluation({ id: 6, candidate: "style-r14" })]) },
      "GET /api/v1/training/events": { body: page([anEvent({ details: { matrix: 2, run: 8 } })]) },
      "GET /api/v1/training/evaluations/2": { body: anEvaluation({ id: 2, candidate: "style-r8" }) },
    });
    show();
    await userEvent.click(await screen.findByRole("button", { name: "Show evaluation 2" }));
    const { table } = await matrix();
    expect(await within(table).findByText("style-r8")).toBeInTheDocument();
    expect(server.requests.some((r) => r.path === "/api/v1/training/evaluations/2")).toBe(true);
    expect(screen.getByRole("heading", { name: "Evaluation matrix" })).toHaveFocus();
  });

  it("says what to do when nothing was evaluated, and shows the server's message on failure", async () => {
    dashboardServer();
    show();
    const { region } = { region: await screen.findByRole("region", { name: "Evaluation matrix" }) };
    expect(await within(region).findByText(/No evaluation yet/)).toHaveTextContent("manage.py evaluate_adapter NAME");
  });

  it("shows a missing evaluation's error instead of a blank section", async () => {
    dashboardServer({ "GET /api/v1/training/evaluations": { body: page([anEvaluation()]) } });
    show("/models?evaluation=99");
    const region = await screen.findByRole("region", { name: "Evaluation matrix" });
    expect(await within(region).findByRole("alert")).toHaveTextContent("Not found.");
  });

  it("orders metric columns and finds the best value only where there is a comparison", () => {
    expect(metricColumns([{ model: "base", retrieval: true, scores: { zeta: 1, style: 0.2, chrf: 0.1 } }])).toEqual(["chrf", "style", "zeta"]);
    expect(bestOf([0.2, null, 0.5])).toBe(0.5);
    expect(bestOf([3, 2, null], true)).toBe(2);
    expect(bestOf([0.2, null])).toBeNull();
  });
});
