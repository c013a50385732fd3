import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderAt } from "../test/server";
import { aRetriever, aRetrieverRun, dashboardServer } from "./fixtures";
import { formatChange, formatSeconds, retrieverModel } from "./format";
import { ModelsDashboard } from "./ModelsDashboard";
import { retrieverWorking } from "./queries";
import { trainBlocked } from "./Retriever";

function show() {
  return renderAt(<ModelsDashboard />, { path: "/models", route: "/models" });
}

const PAIRS = {
  total: 260,
  positive: 200,
  negative: 60,
  by_source: { citation_kept: 120, citation_removed: 40, resolved_reply: 50, precedent: 10, judgment: 15, import: 25 },
};

async function section() {
  const region = await screen.findByRole("region", { name: "Retriever" });
  await within(region).findByText(/Search serves:/);
  return region;
}

function row(region: HTMLElement, name: string): HTMLElement {
  return within(region).getByRole("rowheader", { name: new RegExp(`^${name}`) }).closest("tr")!;
}

describe("the retriever", () => {
  it("says what search serves, where its pairs come from, and what training needs when there is no run", async () => {
    dashboardServer({
      "GET /api/v1/knowledge/retriever": {
        body: aRetriever({ pairs: { ...PAIRS, positive: 12, total: 20, negative: 8 }, min_pairs: 50 }),
      },
    });
    show();
    const region = await section();
    expect(within(region).getByText(/Search serves:/)).toHaveTextContent("Search serves: the stock model bge-small-en-v1.5.");
    expect(within(region).getByText(/relevant \(the passage answers/)).toHaveTextContent("20 pairs: 12 relevant (the passage answers the question), 8 not relevant.");
    const sources = within(region).getByRole("table", { name: "Relevance pairs by where they came from" });
    const counts = Object.fromEntries(
      within(sources)
        .getAllByRole("rowheader")
        .map((header) => [header.textContent, header.nextElementSibling!.textContent]),
    );
    expect(counts).toEqual({
      "Citations agents kept": "120",
      "Citations agents removed": "40",
      "Resolved tickets": "50",
      Precedents: "10",
      "Search playground marks": "15",
      Imported: "25",
    });
    const train = within(region).getByRole("button", { name: "Train now" });
    expect(train).toBeDisabled();
    expect(train).toHaveAccessibleDescription("Needs 50 relevant pairs to train; there are 12.");
    const empty = within(region).getByText(/No adaptation run yet/);
    expect(empty).toHaveTextContent("citations agents keep or remove in the drafts they send");
    expect(empty).toHaveTextContent("resolved tickets' replies relied on (gathered each night)");
    expect(empty).toHaveTextContent("imported relevance files");
    expect(empty).toHaveTextContent("manage.py import_relevance FILE");
    expect(empty).toHaveTextContent("A run needs at least 50 relevant pairs; there are 12 so far.");
  });

  it("shows the re-embedding's progress while the library switches to another model", async () => {
    dashboardServer({
      "GET /api/v1/knowledge/retriever": {
        body: aRetriever({
          chosen_model: "retriever:retriever-r3",
          switch: { target_model: "retriever:retriever-r3", done: 250, total: 1000 },
          runs: [aRetrieverRun({ state: "active", promoted_at: "2026-11-20T04:00:00Z", promoted_by: "admin" })],
        }),
      },
    });
    show();
    const region = await section();
    expect(within(region).getByText(/Search serves:/)).toHaveTextContent("the stock model bge-small-en-v1.5");
    const bar = within(region).getByRole("progressbar", { name: "Re-embedding progress" });
    expect(bar).toHaveAttribute("aria-valuenow", "25");
    expect(bar).toHaveAttribute("aria-valuetext", "250 of 1,000 passages");
    expect(within(region).getByText(/Re-embedding the library with/)).toHaveTextContent("retriever-r3 (adapted)");
    expect(within(region).getByText("250 of 1,000 passages (25%)")).toBeInTheDocument();
  });

  it("names the adapted run search serves", async () => {
    dashboardServer({
      "GET /api/v1/knowledge/retriever": {
        body: aRetriever({ active_model: "retriever:retriever-r3", chosen_model: "retriever:retriever-r3", runs: [aRetrieverRun({ state: "active" })] }),
      },
    });
    show();
    const region = await section();
    expect(within(region).getByText(/Search serves:/)).toHaveTextContent("Search serves: retriever-r3 (adapted).");
    expect(within(region).queryByRole("progressbar")).toBeNull();
  });

  it("lists the runs with the held-out comparison, training time and the gate's verdict", async () => {
    dashboardServer({
      "GET /api/v1/knowledge/retriever": {
        body: aRetriever({
          pairs: PAIRS,
          runs: [
            aRetrieverRun({ id: 5, name: "retriever-r5", state: "training", metrics: null, gate: null, progress: { done: 3, total: 12 }, training_seconds: null, pairs_train: 0, pairs_held_out: 0, finished_at: null }),
            aRetrieverRun({ id: 4, name: "retriever-r4", state: "failed", metrics: null, gate: null, training_seconds: null, error: "Out of memory on the training worker." }),
            aRetrieverRun(),
            aRetrieverRun({
              id: 2,
              name: "retriever-r2",
              state: "rejected",
              gate: { passed: false, reasons: ["recall@5 does not beat the current model's 0.900 by 0.01"], margin: 0.01 },
            }),
          ],
        }),
      },
    });
    show();
    const region = await section();
    const table = within(region).getByRole("table", { name: /Retriever adaptation runs/ });
    expect(within(table).getAllByRole("columnheader").map((h) => h.textContent)).toEqual([
      "Run",
      "State",
      "Trained on / held out",
      "Recall@1",
      "Recall@5",
      "MRR@10",
      "Training time",
      "Gate",
      "Actions",
    ]);
    const candidate = row(region, "retriever-r3");
    expect(candidate).toHaveTextContent("candidate");
    expect(candidate).toHaveTextContent("120 / 30");
    expect(candidate).toHaveTextContent("0.751 → 0.849 (+0.098)");
    expect(candidate).toHaveTextContent("0.900 → 0.950 (+0.050)");
    expect(candidate).toHaveTextContent("0.800 → 0.788 (−0.012)");
    expect(candidate).toHaveTextContent("3 min 20 s");
    expect(candidate).toHaveTextContent("passed");
    expect(within(candidate).getByRole("button", { name: "Promote" })).toHaveAccessibleDescription(/^retriever-r3/);

    const rejected = row(region, "retriever-r2");
    expect(rejected).toHaveTextContent("rejected");
    expect(rejected).toHaveTextContent("did not pass");
    expect(rejected).toHaveTextContent("recall@5 does not beat the current model's 0.900 by 0.01");
    expect(within(rejected).getByRole("button", { name: "Promote" })).toBeInTheDocument();

    const training = row(region, "retriever-r5");
    expect(within(training).getByRole("progressbar", { name: "retriever-r5 training progress" })).toHaveAttribute("aria-valuenow", "25");
    expect(training).toHaveTextContent("step 3 of 12");
    expect(training).toHaveTextContent("not judged yet");
    expect(within(training).queryByRole("button")).toBeNull();

    const failed = row(region, "retriever-r4");
    expect(failed).toHaveTextContent("failed");
    expect(failed).toHaveTextContent("Out of memory on the training worker.");
    expect(within(failed).queryByRole("button")).toBeNull();

    // One run at a time.
    expect(within(region).getByRole("button", { name: "Train now" })).toHaveAccessibleDescription("retriever-r5 is training: one run at a time.");
  });

  it("trains now, and shows the server's refusal inline", async () => {
    let answer: { status: number; body: unknown } = { status: 202, body: aRetrieverRun({ id: 6, name: "retriever-r6", state: "queued", metrics: null, gate: null }) };
    const server = dashboardServer({
      "GET /api/v1/knowledge/retriever": { body: aRetriever({ pairs: PAIRS }) },
      "POST /api/v1/knowledge/retriever/train": () => answer,
    });
    show();
    const region = await section();
    const train = within(region).getByRole("button", { name: "Train now" });
    expect(train).toBeEnabled();
    await userEvent.click(train);
    expect(await within(region).findByText("retriever-r6 is queued on the training workers.")).toBeInTheDocument();
    const post = server.requests.find((r) => r.method === "POST")!;
    expect(post.path).toBe("/api/v1/knowledge/retriever/train");
    expect(post.body).toEqual({});
    expect(post.headers.get("X-CSRFToken")).toBe("test-token");

    answer = { status: 409, body: { detail: "A retriever run is already queued or training.", code: "run_in_progress" } };
    await userEvent.click(within(region).getByRole("button", { name: "Train now" }));
    expect(await within(region).findByRole("alert")).toHaveTextContent("A retriever run is already queued or training.");
  });

  it("shows the 400 when there are too few relevant pairs", async () => {
    dashboardServer({
      "GET /api/v1/knowledge/retriever": { body: aRetriever({ pairs: PAIRS }) },
      "POST /api/v1/knowledge/retriever/train": { status: 400, body: { detail: "200 relevant pairs; 300 needed (RETRIEVER_MIN_PAIRS).", code: "invalid" } },
    });
    show();
    const region = await section();
    await userEvent.click(within(region).getByRole("button", { name: "Train now" }));
    expect(await within(region).findByRole("alert")).toHaveTextContent("200 relevant pairs; 300 needed (RETRIEVER_MIN_PAIRS).");
  });

  it("promotes a run the gate passed after a confirmation, without asking for a reason", async () => {
    let promoted = false;
    const server = dashboardServer({
      "GET /api/v1/knowledge/retriever": () => ({
        body: aRetriever({
          pairs: PAIRS,
          chosen_model: promoted ? "retriever:retriever-r3" : "BAAI/bge-small-en-v1.5",
          runs: [aRetrieverRun({ state: promoted ? "active" : "candidate" })],
        }),
      }),
      "POST /api/v1/knowledge/retriever/runs/3/promote": () => {
        promoted = true;
        return { body: aRetrieverRun({ state: "active" }) };
      },
    });
    show();
    const region = await section();
    await userEvent.click(within(row(region, "retriever-r3")).getByRole("button", { name: "Promote" }));
    const dialog = screen.getByRole("alertdialog", { name: "Promote retriever-r3?" });
    expect(dialog).toHaveTextContent("The whole library is re-embedded with it in the background");
    expect(within(dialog).queryByRole("textbox")).toBeNull();
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(region).findByText(/retriever-r3 is promoted/)).toBeInTheDocument();
    const post = server.requests.find((r) => r.method === "POST")!;
    expect(post.body).toEqual({ override_reason: "" });
    await waitFor(() => expect(within(row(region, "retriever-r3")).getByRole("button", { name: "Roll back" })).toBeInTheDocument());
    expect(within(region).getByText(/Chosen next:/)).toHaveTextContent("retriever-r3 (adapted), once the library is re-embedded");
  });

  it("asks for a written reason, and says the gate's reasons, before promoting a run the gate did not pass", async () => {
    const reasons = ["recall@1 fell by 0.020", "recall@5 does not beat the current model's 0.900 by 0.01"];
    let answer: { status: number; body: unknown } = {
      status: 409,
      body: { detail: "retriever-r2 did not pass the gate (recall@1 fell by 0.020). Promote it anyway only with a reason.", code: "gate_failed" },
    };
    const server = dashboardServer({
      "GET /api/v1/knowledge/retriever": {
        body: aRetriever({ pairs: PAIRS, runs: [aRetrieverRun({ id: 2, name: "retriever-r2", state: "rejected", gate: { passed: false, reasons } })] }),
      },
      "POST /api/v1/knowledge/retriever/runs/2/promote": () => answer,
    });
    show();
    const region = await section();
    await userEvent.click(within(row(region, "retriever-r2")).getByRole("button", { name: "Promote" }));
    const dialog = screen.getByRole("alertdialog", { name: "Promote retriever-r2?" });
    expect(dialog).toHaveTextContent("The gate did not pass it:");
    for (const reason of reasons) expect(within(dialog).getByText(reason)).toBeInTheDocument();
    const input = within(dialog).getByLabelText(/Why promote it although the gate did not pass\?/);
    expect(input).toHaveFocus();
    expect(input).toBeRequired();

    // Without a reason nothing is sent.
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Write a reason first");
    expect(server.requests.some((r) => r.method === "POST")).toBe(false);

    // The server's refusal shows in the dialog.
    await userEvent.type(input, "   ");
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(server.requests.some((r) => r.method === "POST")).toBe(false);
    await userEvent.clear(input);
    await userEvent.type(input, "Recall@1 noise on 30 questions; agents prefer it");
    expect(within(dialog).queryByRole("alert")).toBeNull();
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("did not pass the gate (recall@1 fell by 0.020)");
    expect(server.requests.find((r) => r.method === "POST")!.body).toEqual({ override_reason: "Recall@1 noise on 30 questions; agents prefer it" });

    answer = { status: 200, body: aRetrieverRun({ id: 2, name: "retriever-r2", state: "active", gate: { passed: false, reasons } }) };
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(region).findByText(/retriever-r2 is promoted/)).toBeInTheDocument();
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  it("rolls back the active run after a confirmation", async () => {
    const server = dashboardServer({
      "GET /api/v1/knowledge/retriever": {
        body: aRetriever({ active_model: "retriever:retriever-r3", chosen_model: "retriever:retriever-r3", pairs: PAIRS, runs: [aRetrieverRun({ state: "active" })] }),
      },
      "POST /api/v1/knowledge/retriever/rollback": {
        body: aRetriever({
          active_model: "retriever:retriever-r3",
          pairs: PAIRS,
          switch: { target_model: "BAAI/bge-small-en-v1.5", done: 0, total: 400 },
          runs: [aRetrieverRun({ state: "retired" })],
        }),
      },
    });
    show();
    const region = await section();
    const active = row(region, "retriever-r3");
    expect(within(active).queryByRole("button", { name: "Promote" })).toBeNull();
    await userEvent.click(within(active).getByRole("button", { name: "Roll back" }));
    let dialog = screen.getByRole("alertdialog", { name: "Roll back retriever-r3?" });
    expect(dialog).toHaveTextContent("retriever-r3 is retired and search goes back to the model it served before");
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(server.requests.some((r) => r.method === "POST")).toBe(false);

    await userEvent.click(within(row(region, "retriever-r3")).getByRole("button", { name: "Roll back" }));
    dialog = screen.getByRole("alertdialog", { name: "Roll back retriever-r3?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(region).findByText("Rolled back: search goes back to bge-small-en-v1.5 once the library is re-embedded.")).toBeInTheDocument();
    expect(server.requests.find((r) => r.method === "POST")!.path).toBe("/api/v1/knowledge/retriever/rollback");
    expect(within(region).getByRole("progressbar", { name: "Re-embedding progress" })).toBeInTheDocument();
    expect(within(row(region, "retriever-r3")).getByRole("button", { name: "Promote" })).toBeInTheDocument();
  });

  it("shows the rollback's refusal in the dialog", async () => {
    dashboardServer({
      "GET /api/v1/knowledge/retriever": { body: aRetriever({ pairs: PAIRS, runs: [aRetrieverRun({ state: "active" })] }) },
      "POST /api/v1/knowledge/retriever/rollback": { status: 409, body: { detail: "No adapted retriever is active: search serves the stock model.", code: "nothing_active" } },
    });
    show();
    const region = await section();
    await userEvent.click(within(row(region, "retriever-r3")).getByRole("button", { name: "Roll back" }));
    const dialog = screen.getByRole("alertdialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("No adapted retriever is active");
  });

  it("polls often only while something moves, and formats its figures", () => {
    expect(retrieverWorking(undefined)).toBe(false);
    expect(retrieverWorking(aRetriever())).toBe(false);
    expect(retrieverWorking(aRetriever({ runs: [aRetrieverRun({ state: "queued" })] }))).toBe(true);
    expect(retrieverWorking(aRetriever({ switch: { target_model: "x", done: 0, total: 0 } }))).toBe(true);
    expect(trainBlocked(aRetriever({ pairs: { ...PAIRS, positive: 1 } }))).toBe("Needs 50 relevant pairs to train; there is 1.");
    expect(trainBlocked(aRetriever({ pairs: PAIRS }))).toBeNull();
    expect(formatChange(0.5, 0.5)).toBe("0.500 → 0.500 (±0.000)");
    expect(formatChange(undefined, 0.5)).toBe("? → 0.500");
    expect(formatChange(undefined, undefined)).toBe("—");
    expect(formatSeconds(45)).toBe("45 s");
    expect(formatSeconds(3725)).toBe("1 h 2 min");
    expect(formatSeconds(null)).toBe("—");
    expect(retrieverModel("retriever:retriever-r7")).toEqual({ adapted: true, label: "retriever-r7" });
    expect(retrieverModel("BAAI/bge-small-en-v1.5")).toEqual({ adapted: false, label: "bge-small-en-v1.5" });
  });
});
