// The retriever: the embedding model knowledge search serves (the stock one or a run adapted to this library's
// relevance pairs), the re-embedding under way after a change, the pairs it learns from, its adaptation runs
// with their held-out figures and the gate's verdict; train, promote (a written reason overrides a failed
// gate) and roll back.
import { useId, useState } from "react";
import { Confirm } from "../ui/Confirm";
import { ErrorMessage, QueryState } from "../ui/status";
import { RetrieverStateBadge } from "./badges";
import { formatChange, formatNumber, formatSeconds, formatWhen, retrieverModel, who } from "./format";
import {
  isRetrieverBusy,
  RETRIEVER_POLL_BUSY_MS,
  usePromoteRetriever,
  useRetriever,
  useRollbackRetriever,
  useTrainRetriever,
  type Retriever as RetrieverData,
  type RetrieverRun,
} from "./queries";

/** Where relevance pairs come from, in an administrator's words (the API's `by_source` keys). */
export const PAIR_SOURCES: { key: string; label: string }[] = [
  { key: "citation_kept", label: "Citations agents kept" },
  { key: "citation_removed", label: "Citations agents removed" },
  { key: "resolved_reply", label: "Resolved tickets" },
  { key: "precedent", label: "Precedents" },
  { key: "judgment", label: "Search playground marks" },
  { key: "import", label: "Imported" },
];

const METRICS: { key: string; label: string }[] = [
  { key: "recall@1", label: "Recall@1" },
  { key: "recall@5", label: "Recall@5" },
  { key: "mrr@10", label: "MRR@10" },
];

const PROMOTABLE: RetrieverRun["state"][] = ["candidate", "rejected", "retired"];

type Pending = { kind: "promote"; run: RetrieverRun } | { kind: "rollback"; run: RetrieverRun };

/** "retriever-r3 (adapted)" or "the stock model bge-small-en-v1.5". */
function ModelName({ name }: { name: string }) {
  const model = retrieverModel(name);
  return model.adapted ? (
    <>
      <strong>{model.label}</strong> (adapted)
    </>
  ) : (
    <>
      the stock model <strong title={name}>{model.label}</strong>
    </>
  );
}

export function Retriever({ headingId }: { headingId: string }) {
  const retriever = useRetriever();
  return (
    <section className="card models-section" aria-labelledby={headingId} id="retriever">
      <div className="section-head">
        <h2 id={headingId} tabIndex={-1}>
          Retriever
        </h2>
      </div>
      <QueryState query={retriever} label="Loading the retriever…">
        {(data) => <RetrieverBody data={data} />}
      </QueryState>
    </section>
  );
}

function RetrieverBody({ data }: { data: RetrieverData }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const [done, setDone] = useState("");
  const promote = usePromoteRetriever();
  const rollback = useRollbackRetriever();
  const act = pending?.kind === "rollback" ? rollback : promote;

  function open(next: Pending) {
    promote.reset();
    rollback.reset();
    setDone("");
    setPending(next);
  }

  function confirm(reason: string) {
    if (!pending) return;
    const onSuccess = (message: string) => {
      setPending(null);
      setDone(message);
    };
    if (pending.kind === "promote") {
      promote.mutate(
        { run: pending.run, reason },
        { onSuccess: (run) => onSuccess(`${run.name} is promoted: search switches to it once the library is re-embedded with it.`) },
      );
    } else {
      rollback.mutate(undefined, {
        onSuccess: (answer) => onSuccess(`Rolled back: search goes back to ${retrieverModel(answer.chosen_model).label} once the library is re-embedded.`),
      });
    }
  }

  return (
    <>
      <Serving data={data} />
      <Pairs data={data} />
      <TrainNow data={data} />
      <p role="status" className={done ? "state state-done" : "visually-hidden"}>
        {done}
      </p>
      {data.runs.length === 0 ? (
        <div className="state state-empty">
          <p>
            No adaptation run yet. The retriever learns which passages answer which questions from the citations agents keep or
            remove in the drafts they send, from the passages resolved tickets' replies relied on (gathered each night), from marks
            made in the search playground, and from imported relevance files (for example with{" "}
            <code>manage.py import_relevance FILE</code>). A run needs at least {formatNumber(data.min_pairs)} relevant pairs; there
            {data.pairs.positive === 1 ? " is" : " are"} {formatNumber(data.pairs.positive)} so far. Until a run is promoted, search
            serves the stock model.
          </p>
        </div>
      ) : (
        <RunsTable runs={data.runs} onPromote={(run) => open({ kind: "promote", run })} onRollback={(run) => open({ kind: "rollback", run })} />
      )}
      {pending && (
        <Confirm
          title={pending.kind === "promote" ? `Promote ${pending.run.name}?` : `Roll back ${pending.run.name}?`}
          reasonRequired={pending.kind === "promote" && !pending.run.gate?.passed}
          reasonLabel="Why promote it although the gate did not pass? (required, recorded with the run)"
          busy={act.isPending}
          error={act.error}
          onConfirm={confirm}
          onCancel={() => setPending(null)}
        >
          {pending.kind === "promote" ? <PromoteText run={pending.run} /> : <RollbackText run={pending.run} stock={data.stock_model} />}
        </Confirm>
      )}
    </>
  );
}

function PromoteText({ run }: { run: RetrieverRun }) {
  const passed = !!run.gate?.passed;
  return (
    <>
      <p>
        Search will serve <strong>{run.name}</strong>. The whole library is re-embedded with it in the background; search keeps
        serving the current model until that is done.
      </p>
      {!passed && (
        <div className="state state-warn">
          <p>
            <strong>The gate did not pass it</strong>
            {run.gate?.reasons.length ? ":" : " (it was not judged)."}
          </p>
          {!!run.gate?.reasons.length && (
            <ul>
              {run.gate.reasons.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </>
  );
}

function RollbackText({ run, stock }: { run: RetrieverRun; stock: string }) {
  return (
    <p>
      <strong>{run.name}</strong> is retired and search goes back to the model it served before (an earlier adapted run, or the
      stock model {retrieverModel(stock).label}). The library is re-embedded with it in the background.
    </p>
  );
}

/** What search serves now, what it is switching to, and how far the re-embedding is. */
function Serving({ data }: { data: RetrieverData }) {
  const change = data.switch;
  const percent = change && change.total ? Math.min(100, Math.round((change.done / change.total) * 100)) : 0;
  return (
    <div className="retriever-serving">
      <p>
        Search serves: <ModelName name={data.active_model} />.
      </p>
      {!change && data.chosen_model !== data.active_model && (
        <p className="hint">
          Chosen next: <ModelName name={data.chosen_model} />, once the library is re-embedded.
        </p>
      )}
      {change && (
        <div className="retriever-switch">
          <p>
            Re-embedding the library with <ModelName name={change.target_model} />
            <span className="hint"> (updated every {RETRIEVER_POLL_BUSY_MS / 1000} s)</span>
          </p>
          <span
            className="progress"
            role="progressbar"
            aria-label="Re-embedding progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            aria-valuetext={`${formatNumber(change.done)} of ${formatNumber(change.total)} passages`}
          >
            <span style={{ width: `${percent}%` }} />
          </span>
          <p className="hint" aria-live="polite">
            {formatNumber(change.done)} of {formatNumber(change.total)} passages ({percent}%)
          </p>
        </div>
      )}
    </div>
  );
}

function Pairs({ data }: { data: RetrieverData }) {
  const { pairs } = data;
  return (
    <div className="retriever-pairs">
      <h3>Relevance pairs it learns from</h3>
      <p>
        {formatNumber(pairs.total)} pairs: {formatNumber(pairs.positive)} relevant (the passage answers the question),{" "}
        {formatNumber(pairs.negative)} not relevant. A run needs {formatNumber(data.min_pairs)} relevant pairs.
      </p>
      <div className="table-wrap">
        <table className="data pairs-table">
          <caption className="visually-hidden">Relevance pairs by where they came from</caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col" className="num">
                Pairs
              </th>
            </tr>
          </thead>
          <tbody>
            {PAIR_SOURCES.map((source) => (
              <tr key={source.key}>
                <th scope="row">{source.label}</th>
                <td className="num">{formatNumber(pairs.by_source[source.key] ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Why a run cannot start now, or null. */
export function trainBlocked(data: RetrieverData): string | null {
  const busy = data.runs.find((run) => isRetrieverBusy(run.state));
  if (busy) return `${busy.name} is ${busy.state}: one run at a time.`;
  if (data.pairs.positive < data.min_pairs) {
    return `Needs ${formatNumber(data.min_pairs)} relevant pairs to train; there ${data.pairs.positive === 1 ? "is" : "are"} ${formatNumber(data.pairs.positive)}.`;
  }
  return null;
}

function TrainNow({ data }: { data: RetrieverData }) {
  const train = useTrainRetriever();
  const blocked = trainBlocked(data);
  const reasonId = useId();
  return (
    <div className="retriever-train">
      <button
        type="button"
        className="button primary small"
        disabled={!!blocked || train.isPending}
        aria-describedby={blocked ? reasonId : undefined}
        onClick={() => train.mutate()}
      >
        {train.isPending ? "Starting…" : "Train now"}
      </button>
      {blocked && (
        <span id={reasonId} className="hint">
          {blocked}
        </span>
      )}
      <span role="status" className={train.isSuccess ? "hint" : "visually-hidden"}>
        {train.isSuccess ? `${train.data.name} is queued on the training workers.` : ""}
      </span>
      {train.isError && <ErrorMessage error={train.error} />}
    </div>
  );
}

type TableProps = { runs: RetrieverRun[]; onPromote: (run: RetrieverRun) => void; onRollback: (run: RetrieverRun) => void };

function RunsTable({ runs, onPromote, onRollback }: TableProps) {
  return (
    <div className="table-wrap">
      <table className="data retriever-runs">
        <caption className="visually-hidden">
          Retriever adaptation runs, newest first, with the held-out comparison of the model search served then and the adapted
          one.
        </caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">State</th>
            <th scope="col" className="num" title="Relevance pairs trained on / held out to judge it">
              Trained on / held out
            </th>
            {METRICS.map((metric) => (
              <th key={metric.key} scope="col" className="num" title={`${metric.label} on the held-out questions: current → adapted`}>
                {metric.label}
              </th>
            ))}
            <th scope="col" className="num">
              Training time
            </th>
            <th scope="col">Gate</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <RunRow key={run.id} run={run} onPromote={onPromote} onRollback={onRollback} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunRow({ run, onPromote, onRollback }: { run: RetrieverRun; onPromote: (run: RetrieverRun) => void; onRollback: (run: RetrieverRun) => void }) {
  const nameId = `retriever-run-${run.id}`;
  const metrics = run.metrics;
  const progress = run.progress;
  const percent = progress && progress.total ? Math.min(100, Math.round((progress.done / progress.total) * 100)) : 0;
  return (
    <tr className={run.state === "active" ? "selected" : undefined}>
      <th scope="row" id={nameId}>
        {run.name}
        <div className="hint">
          {formatWhen(run.created_at)} by {who(run.requested_by)}
        </div>
      </th>
      <td>
        <RetrieverStateBadge state={run.state} />
        {progress && (
          <>
            <span
              className="progress"
              role="progressbar"
              aria-label={`${run.name} training progress`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              aria-valuetext={`step ${progress.done} of ${progress.total}`}
            >
              <span style={{ width: `${percent}%` }} />
            </span>
            <span className="hint" aria-live="polite">
              step {formatNumber(progress.done)} of {formatNumber(progress.total)}
            </span>
          </>
        )}
        {run.state === "failed" && run.error && <div className="form-error">{run.error}</div>}
        {run.promoted_at && (
          <div className="hint">
            Promoted {formatWhen(run.promoted_at)} by {who(run.promoted_by)}
            {run.override_reason && <>: “{run.override_reason}”</>}
          </div>
        )}
      </td>
      <td className="num">
        {isRetrieverBusy(run.state) && !run.pairs_train ? "—" : `${formatNumber(run.pairs_train)} / ${formatNumber(run.pairs_held_out)}`}
      </td>
      {METRICS.map((metric) => (
        <td key={metric.key} className="num">
          {metrics ? formatChange(metrics.current?.[metric.key], metrics.adapted?.[metric.key]) : "—"}
        </td>
      ))}
      <td className="num">{formatSeconds(run.training_seconds)}</td>
      <td>
        <Gate run={run} />
      </td>
      <td className="actions">
        {run.state === "active" && (
          <button type="button" className="button small danger" aria-describedby={nameId} onClick={() => onRollback(run)}>
            Roll back
          </button>
        )}
        {PROMOTABLE.includes(run.state) && (
          <button type="button" className="button small" aria-describedby={nameId} onClick={() => onPromote(run)}>
            Promote
          </button>
        )}
      </td>
    </tr>
  );
}

function Gate({ run }: { run: RetrieverRun }) {
  const gate = run.gate;
  if (!gate) return <span className="hint">{isRetrieverBusy(run.state) ? "not judged yet" : "—"}</span>;
  return (
    <div className="retriever-gate">
      <span className={`badge ${gate.passed ? "good" : "bad"}`}>{gate.passed ? "passed" : "did not pass"}</span>
      {gate.reasons.length > 0 && (
        <ul className="gate-reasons">
          {gate.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
