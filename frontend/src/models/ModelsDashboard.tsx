// The models dashboard (administrators): training runs with their live loss curve, the evaluation matrix
// and the decision taken on it, the adapter registry (promote, roll back), dataset snapshots, and the log
// of decisions, and the retriever search serves (its relevance pairs, adaptation runs, promote, roll back). The selected run and evaluation live in the address (?run=, ?evaluation=), so a view can be
// shared.
import { useId } from "react";
import { useSearchParams } from "react-router-dom";
import { Adapters } from "./Adapters";
import { RunStatusBadge } from "./badges";
import { Decisions } from "./Decisions";
import { EvaluationMatrix } from "./EvaluationMatrix";
import "./models.css";
import { isActive, useAdapters, useRuns } from "./queries";
import { Retriever } from "./Retriever";
import { Snapshots } from "./Snapshots";
import { TrainingRuns } from "./TrainingRuns";

function idParam(value: string | null): number | null {
  const id = Number(value);
  return value && Number.isInteger(id) && id > 0 ? id : null;
}

export function ModelsDashboard() {
  const [params, setParams] = useSearchParams();
  const runsHeading = useId();
  const evaluationHeading = useId();
  const adaptersHeading = useId();
  const snapshotsHeading = useId();
  const decisionsHeading = useId();
  const retrieverHeading = useId();

  function choose(name: "run" | "evaluation", id: number, focus?: string) {
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.set(name, String(id));
        return next;
      },
      { replace: true },
    );
    // Taken there from elsewhere on the page: move focus (and the view) to the section.
    if (focus) window.setTimeout(() => document.getElementById(focus)?.focus(), 0);
  }

  return (
    <div className="page models-dashboard">
      <div className="page-head">
        <h1>Models</h1>
        <Summary />
      </div>
      <nav className="models-nav" aria-label="Sections of the models dashboard">
        <ul>
          <li><a href="#training-runs">Training runs</a></li>
          <li><a href="#evaluation-matrix">Evaluation matrix</a></li>
          <li><a href="#adapters">Adapters</a></li>
          <li><a href="#dataset-snapshots">Dataset snapshots</a></li>
          <li><a href="#decisions">Decisions</a></li>
          <li><a href="#retriever">Retriever</a></li>
        </ul>
      </nav>
      <TrainingRuns headingId={runsHeading} selectedId={idParam(params.get("run"))} onSelect={(id) => choose("run", id)} />
      <EvaluationMatrix
        headingId={evaluationHeading}
        selectedId={idParam(params.get("evaluation"))}
        onSelect={(id) => choose("evaluation", id)}
      />
      <Adapters headingId={adaptersHeading} onShowEvaluation={(id) => choose("evaluation", id, evaluationHeading)} />
      <Snapshots headingId={snapshotsHeading} />
      <Decisions
        headingId={decisionsHeading}
        onShowRun={(id) => choose("run", id, runsHeading)}
        onShowEvaluation={(id) => choose("evaluation", id, evaluationHeading)}
      />
      <Retriever headingId={retrieverHeading} />
    </div>
  );
}

/** What drafts replies now, and whether a run is training. */
function Summary() {
  const adapters = useAdapters();
  const runs = useRuns(1);
  const active = adapters.data?.results.find((adapter) => adapter.is_active);
  const running = runs.data?.results.find((run) => isActive(run.status));
  return (
    <p className="models-summary" aria-live="polite">
      <span>
        Drafting with:{" "}
        {adapters.isPending ? "…" : adapters.isError ? "unknown" : active ? <strong>{active.name}</strong> : <strong>the base model</strong>}
      </span>
      <span>
        Training:{" "}
        {runs.isPending ? "…" : runs.isError ? "unknown" : running ? (
          <a href="#training-runs">
            run {running.id} <RunStatusBadge status={running.status} />
          </a>
        ) : (
          "idle"
        )}
      </span>
    </p>
  );
}
