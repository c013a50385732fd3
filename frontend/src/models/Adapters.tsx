// The adapter registry: which adapter drafts replies now, the candidates and the retired ones, with their
// evaluation's headline numbers; promote one or roll back the active one, each after a confirmation.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { PagedTable } from "../ui/PagedTable";
import { AdapterStatusBadge } from "./badges";
import { Confirm } from "../ui/Confirm";
import { formatNumber, formatScore, formatWhen, modelName, shortHash, who } from "./format";
import { useAdapters, useEvaluations, useEvents, useRefreshTraining, type Adapter, type AdapterEvent } from "./queries";

type Props = { headingId: string; onShowEvaluation: (id: number) => void };
type Pending = { kind: "promote"; adapter: Adapter } | { kind: "rollback"; adapter: Adapter };

/** The headline numbers of an adapter's evaluation: the candidate with retrieval, and its perplexity. */
export function headline(metrics: Adapter["metrics"]): { chrf: number | null; grounded: number | null; perplexity: number | null } {
  const rows = Array.isArray(metrics?.rows) ? metrics.rows : [];
  const row = rows.find((r) => r.model === "candidate" && r.retrieval);
  const pick = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : null);
  return {
    chrf: pick(row?.scores?.chrf),
    grounded: pick(row?.scores?.grounded_rate),
    perplexity: pick(metrics?.perplexity?.candidate),
  };
}

export function Adapters({ headingId, onShowEvaluation }: Props) {
  const adapters = useAdapters();
  const evaluations = useEvaluations();
  const events = useEvents(1);
  const refresh = useRefreshTraining();
  const [pending, setPending] = useState<Pending | null>(null);
  const [done, setDone] = useState("");
  const act = useMutation({
    mutationFn: async ({ action, reason }: { action: Pending; reason: string }) => {
      if (action.kind === "promote") {
        await unwrap(api.POST("/api/v1/training/adapters/{id}/promote", { params: { path: { id: action.adapter.id } }, body: { reason } }));
        return `${action.adapter.name} is now the active adapter; workers switch to it within seconds.`;
      }
      // The answer is the adapter active again, or empty when drafts go back to the bare base model.
      const before = await unwrap(api.POST("/api/v1/training/adapters/rollback", { body: { reason } }));
      return before?.name
        ? `Rolled back: ${before.name} is the active adapter again.`
        : "Rolled back: drafts use the bare base model again.";
    },
    onSuccess: (message) => {
      setPending(null);
      setDone(message);
      void refresh();
    },
  });

  function open(next: Pending) {
    act.reset();
    setDone("");
    setPending(next);
  }

  const recent = events.data?.results ?? [];
  const active = adapters.data?.results.find((adapter) => adapter.is_active);
  const evaluationOf = (name: string) => evaluations.data?.results.find((evaluation) => evaluation.candidate === name)?.id;
  return (
    <section className="card models-section" aria-labelledby={headingId} id="adapters">
      <div className="section-head">
        <h2 id={headingId}>Adapters</h2>
      </div>
      <p role="status" className={done ? "state state-done" : "visually-hidden"}>
        {done}
      </p>
      <PagedTable
        query={adapters}
        loading="Loading adapters…"
        empty={
          <span>
            No adapter yet — a training run that succeeds registers its adapter here as a candidate (run{" "}
            <code>manage.py finetune_cycle</code>, wait for the nightly cycle, or start a run above). Until one is promoted, drafts use
            the base model.
          </span>
        }
        caption="The adapter registry, newest first."
        className="adapters-table"
        columns={[
          "Adapter",
          "Status",
          "Base model",
          "Dataset snapshot",
          { label: "chrF", numeric: true, title: "The candidate's chrF with retrieval in its evaluation" },
          { label: "Grounded", numeric: true, title: "The candidate's grounded-sentence rate with retrieval" },
          { label: "Perplexity", numeric: true, title: "Perplexity on general text (lower is better)" },
          "Created",
          "Promoted",
          { label: "Actions", hidden: true },
        ]}
        above={() => !active && <p className="hint">No adapter is active: drafts use the bare base model.</p>}
        row={(adapter, nameId) => (
          <AdapterRow
            adapter={adapter}
            nameId={nameId}
            evaluation={evaluationOf(adapter.name)}
            onShowEvaluation={onShowEvaluation}
            onPromote={() => open({ kind: "promote", adapter })}
            onRollback={() => open({ kind: "rollback", adapter })}
          />
        )}
        below={(data) => (
          <>
            {data.count > data.results.length && (
              <p className="hint">
                Showing the newest {data.results.length} of {data.count} adapters.
              </p>
            )}
            {pending && (
              <Confirm
                title={pending.kind === "promote" ? `Promote ${pending.adapter.name}?` : `Roll back ${pending.adapter.name}?`}
                askReason
                busy={act.isPending}
                error={act.error}
                onConfirm={(reason) => act.mutate({ action: pending, reason })}
                onCancel={() => setPending(null)}
              >
                {pending.kind === "promote" ? (
                  <PromoteText adapter={pending.adapter} active={active} events={recent} />
                ) : (
                  <RollbackText adapter={pending.adapter} events={recent} />
                )}
              </Confirm>
            )}
          </>
        )}
      />
    </section>
  );
}

function PromoteText({ adapter, active, events }: { adapter: Adapter; active: Adapter | undefined; events: AdapterEvent[] }) {
  const kept = events.find((event) => event.action === "kept" && event.adapter === adapter.name);
  return (
    <>
      <p>
        Drafts will be generated with <strong>{adapter.name}</strong>
        {active ? (
          <>
            ; <strong>{active.name}</strong> is retired
          </>
        ) : (
          " instead of the bare base model"
        )}
        . Workers switch within seconds, without a restart.
      </p>
      {kept && (
        <p className="state state-warn">
          The nightly cycle did not promote it: {kept.reason}
        </p>
      )}
    </>
  );
}

function RollbackText({ adapter, events }: { adapter: Adapter; events: AdapterEvent[] }) {
  const promoted = events.find((event) => event.action === "promoted" && event.adapter === adapter.name);
  const to = promoted
    ? promoted.previous
      ? <>back to <strong>{promoted.previous}</strong>, the adapter active before it</>
      : "back to the bare base model (no adapter was active before it)"
    : "back to the adapter active before it, or to the bare base model when there was none";
  return (
    <p>
      <strong>{adapter.name}</strong> is retired and drafts go {to}.
    </p>
  );
}

type RowProps = {
  adapter: Adapter;
  nameId: string;
  /** The id of the evaluation of this adapter, when the list of evaluations holds one. */
  evaluation: number | undefined;
  onShowEvaluation: (id: number) => void;
  onPromote: () => void;
  onRollback: () => void;
};

function AdapterRow({ adapter, nameId, evaluation, onShowEvaluation, onPromote, onRollback }: RowProps) {
  const numbers = headline(adapter.metrics);
  return (
    <tr className={adapter.is_active ? "selected" : undefined}>
      <th scope="row" id={nameId}>
        {adapter.name}
      </th>
      <td>
        <AdapterStatusBadge status={adapter.status} />
      </td>
      <td>
        <span title={adapter.base_model}>{modelName(adapter.base_model)}</span>
        {adapter.base_model_label && <span className="badge warn demo-badge" title={adapter.base_model_label}>demo</span>}
      </td>
      <td>
        <code title={adapter.dataset_hash}>{shortHash(adapter.dataset_hash)}</code>
      </td>
      <td className="num">{formatScore(numbers.chrf)}</td>
      <td className="num">{formatScore(numbers.grounded)}</td>
      <td className="num">{numbers.perplexity === null ? "—" : formatNumber(numbers.perplexity, 2)}</td>
      <td>{formatWhen(adapter.created_at)}</td>
      <td>{adapter.promoted_at ? `${formatWhen(adapter.promoted_at)} by ${who(adapter.promoted_by)}` : "—"}</td>
      <td className="actions">
        {evaluation !== undefined && (
          <button type="button" className="button small" aria-describedby={nameId} onClick={() => onShowEvaluation(evaluation)}>
            Evaluation
          </button>
        )}
        {adapter.is_active ? (
          <button type="button" className="button small danger" aria-describedby={nameId} onClick={onRollback}>
            Roll back
          </button>
        ) : (
          <button type="button" className="button small" aria-describedby={nameId} onClick={onPromote}>
            Promote
          </button>
        )}
      </td>
    </tr>
  );
}
