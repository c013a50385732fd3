import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { page, renderAt } from "../test/server";
import { aRun, aSnapshot, dashboardServer } from "./fixtures";
import { ModelsDashboard } from "./ModelsDashboard";
import { parseSettings } from "./TrainingRuns";

function show() {
  return renderAt(<ModelsDashboard />, { path: "/models", route: "/models" });
}

function runsTable() {
  const section = screen.getByRole("region", { name: "Training runs" });
  return within(section).getByRole("table");
}

afterEach(() => {
  vi.useRealTimers();
});

describe("training runs", () => {
  it("lists runs with their status, dataset, base model, final loss and tokens per second", async () => {
    dashboardServer({
      "GET /api/v1/training/runs": {
        body: page([
          aRun({ id: 13, status: "failed", loss: null, losses: [], tokens_per_second: null, error: "No space left.", adapter: null }),
          aRun({ id: 12, base_model_label: "Openbook demo model (trained locally)" }),
        ]),
      },
      "GET /api/v1/training/runs/13": { body: aRun({ id: 13, status: "failed", loss: null, losses: [], error: "No space left.", adapter: null }) },
      "GET /api/v1/training/runs/12": { body: aRun() },
    });
    show();
    await screen.findByRole("button", { name: "Run 12" });
    const rows = within(runsTable()).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("failed");
    const twelve = rows[2];
    expect(twelve).toHaveTextContent("succeeded");
    expect(twelve).toHaveTextContent("3f9a0c2b7d4e");
    expect(twelve).toHaveTextContent("demo-model");
    expect(twelve).toHaveTextContent("demo");
    expect(twelve).toHaveTextContent("2.2500");
    expect(twelve).toHaveTextContent("813");
    // The newest run is shown first; its failure is explained.
    expect(await screen.findByText("No space left.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Run 12" }));
    const chart = await screen.findByRole("img", { name: "Loss curve of run 12" });
    expect(chart.querySelector("polyline")?.getAttribute("points")?.split(" ")).toHaveLength(3);
    expect(screen.getByRole("button", { name: "Run 12" })).toHaveAttribute("aria-pressed", "true");
  });

  it("follows the running run: polls every 2 s, the curve grows, and polling stops when it ends", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let polls = 0;
    const progress = [
      { status: "running" as const, losses: [[1, 3.0]], tokens_per_second: 500 },
      { status: "running" as const, losses: [[1, 3.0], [2, 2.6]], tokens_per_second: 640 },
      { status: "succeeded" as const, losses: [[1, 3.0], [2, 2.6], [3, 2.2]], tokens_per_second: 700 },
    ];
    const server = dashboardServer({
      "GET /api/v1/training/runs": { body: page([aRun({ id: 20, status: "running", step: 1, total_steps: 3, finished_at: null, adapter: null })]) },
      "GET /api/v1/training/runs/20": () => {
        const now = progress[Math.min(polls, progress.length - 1)];
        polls += 1;
        return { body: aRun({ id: 20, step: now.losses.length, total_steps: 3, loss: now.losses.at(-1)![1], finished_at: null, adapter: null, ...now }) };
      },
    });
    show();
    const chart = await screen.findByRole("img", { name: "Loss curve of run 20" });
    const points = () => chart.querySelector("polyline")?.getAttribute("points")?.split(" ").length ?? 0;
    expect(points()).toBe(1);
    expect(screen.getByText(/Live: updated every 2 s/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel run" })).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(2000));
    await waitFor(() => expect(points()).toBe(2));
    expect(screen.getByText("640", { selector: "dd" })).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await waitFor(() => expect(points()).toBe(3));
    expect(within(runsTable()).getAllByRole("row")[1]).toHaveTextContent("succeeded");
    expect(screen.queryByText(/Live: updated/)).toBeNull();
    expect(screen.queryByRole("button", { name: "Cancel run" })).toBeNull();
    const detailCalls = () => server.requests.filter((r) => r.path === "/api/v1/training/runs/20").length;
    const after = detailCalls();
    await act(() => vi.advanceTimersByTimeAsync(8000));
    expect(detailCalls()).toBe(after);
    // The end of the run refreshed what may follow it (its adapter, the cycle's decision).
    expect(server.requests.filter((r) => r.path === "/api/v1/training/adapters").length).toBeGreaterThan(1);
  });

  it("cancels a running run after confirming", async () => {
    let running = aRun({ id: 21, status: "running", finished_at: null, adapter: null });
    const server = dashboardServer({
      "GET /api/v1/training/runs": () => ({ body: page([running]) }),
      "GET /api/v1/training/runs/21": () => ({ body: running }),
      "POST /api/v1/training/runs/21/cancel": () => {
        running = { ...running, cancel_requested: true };
        return { body: running };
      },
    });
    show();
    await userEvent.click(await screen.findByRole("button", { name: "Cancel run" }));
    const dialog = screen.getByRole("alertdialog", { name: "Cancel run 21?" });
    expect(dialog).toHaveTextContent("keeps a checkpoint");
    expect(server.requests.some((r) => r.method === "POST")).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await screen.findByText("Cancelling at the next step…")).toBeInTheDocument();
    expect(server.requests.filter((r) => r.method === "POST").map((r) => r.path)).toEqual(["/api/v1/training/runs/21/cancel"]);
  });

  it("starts a run on a chosen snapshot with settings, and shows the server's refusal", async () => {
    let answer = { status: 409, body: { detail: "Training run 30 is running; one run at a time.", code: "run_active" } as unknown };
    const server = dashboardServer({
      "GET /api/v1/training/snapshots": { body: page([aSnapshot({ id: 4, content_hash: "b".repeat(64) }), aSnapshot(), aSnapshot({ id: 2, content_hash: "c".repeat(64), withdrawn_at: "2026-11-19T00:00:00Z" })]) },
      "POST /api/v1/training/runs": () => answer,
      "GET /api/v1/training/runs/31": { body: aRun({ id: 31, status: "queued", losses: [], loss: null, finished_at: null, started_at: null }) },
    });
    show();
    await userEvent.click(await screen.findByRole("button", { name: "Start a run" }));
    const form = screen.getByRole("form", { name: "Start a training run" });
    const select = await within(form).findByLabelText("Dataset snapshot");
    // A withdrawn snapshot cannot be trained on.
    expect(within(select).getAllByRole("option")).toHaveLength(3);
    await userEvent.selectOptions(select, "3");
    const settings = within(form).getByLabelText("Training settings (JSON, optional)");
    await userEvent.type(settings, "{{\"epochs\": 2");
    await userEvent.click(within(form).getByRole("button", { name: "Start training" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("not valid JSON");
    expect(server.requests.some((r) => r.method === "POST")).toBe(false);

    await userEvent.type(settings, "}");
    await userEvent.click(within(form).getByRole("button", { name: "Start training" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("Training run 30 is running; one run at a time.");
    expect(server.requests.find((r) => r.method === "POST")?.body).toEqual({ snapshot: 3, config: { epochs: 2 } });

    answer = { status: 202, body: aRun({ id: 31, status: "queued" }) };
    await userEvent.click(within(form).getByRole("button", { name: "Start training" }));
    expect(await screen.findByRole("img", { name: "Loss curve of run 31" })).toHaveTextContent("Waiting for the first step…");
    expect(screen.queryByRole("form", { name: "Start a training run" })).toBeNull();
  });

  it("says what to do when there is no run, and shows the server's message when the list fails", async () => {
    dashboardServer();
    show();
    expect(await screen.findByText(/No training run yet — run/)).toHaveTextContent("manage.py finetune_cycle");
  });

  it("shows the server's message when the runs cannot be listed", async () => {
    dashboardServer({ "GET /api/v1/training/runs": { status: 503, body: { detail: "The database is not answering.", code: "unavailable" } } });
    show();
    const region = await screen.findByRole("region", { name: "Training runs" });
    expect(await within(region).findByRole("alert")).toHaveTextContent("The database is not answering.");
    expect(within(region).getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });

  it("reads training settings as a JSON object", () => {
    expect(parseSettings("")).toEqual({});
    expect(parseSettings('{"rank": 4}')).toEqual({ config: { rank: 4 } });
    expect(parseSettings("[1]").error).toMatch(/must be a JSON object/);
  });
});
