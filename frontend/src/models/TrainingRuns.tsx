// Training runs: the list, starting one, and the selected run (the running one by default) with its live
// loss curve, throughput and a cancel button.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { ErrorMessage, Loading } from "../ui/status";
import { RunStatusBadge } from "./badges";
import { Confirm } from "../ui/Confirm";
import { formatDuration, formatNumber, formatScore, formatWhen, modelName, shortHash } from "./format";
import { LossChart, lossPoints } from "./LossChart";
import { PagedTable } from "../ui/PagedTable";
import {
  isActive,
  RUN_POLL_MS,
  trainingKeys,
  useRefreshTraining,
  useRun,
  useRuns,
  useSnapshots,
  type Run,
  type Snapshot,
} from "./queries";

type Props = { selectedId: number | null; onSelect: (id: number) => void; headingId: string };

export function TrainingRuns({ selectedId, onSelect, headingId }: Props) {
  const [page, setPage] = useState(1);
  const runs = useRuns(page);
  const listed = runs.data?.results ?? [];
  const active = listed.find((run) => isActive(run.status));
  const shownId = selectedId ?? active?.id ?? listed[0]?.id ?? null;
  const detail = useRun(shownId);
  useRefreshWhenEnded(detail.data);
  // The selected run's row shows what its detail, asked for more often, says.
  const current = (run: Run) => (detail.data && run.id === detail.data.id ? detail.data : run);
  const running = listed.map(current).find((run) => isActive(run.status));

  return (
    <section className="card models-section" aria-labelledby={headingId} id="training-runs">
      <div className="section-head">
        <h2 id={headingId} tabIndex={-1}>
          Training runs
        </h2>
        <StartRun disabledBecause={running ? `Run ${running.id} is ${running.status}: one run at a time.` : null} onStarted={onSelect} />
      </div>
      <PagedTable
        query={runs}
        loading="Loading training runs…"
        empty={
          <span>
            No training run yet — run <code>manage.py finetune_cycle</code> or wait for the nightly cycle, or build a dataset
            snapshot and start one here.
          </span>
        }
        caption="Training runs, newest first. Choose a run to see its loss curve."
        className="runs-table"
        columns={[
          "Run",
          "Status",
          "Dataset snapshot",
          "Base model",
          "Started",
          "Finished",
          { label: "Steps", numeric: true },
          { label: "Final loss", numeric: true },
          { label: "Tokens/s", numeric: true },
        ]}
        paging={{ label: "Training runs", page, onPage: setPage }}
        row={(run) => <RunRow run={current(run)} selected={run.id === shownId} onSelect={onSelect} />}
      />
      {shownId !== null && <RunDetail runId={shownId} query={detail} />}
    </section>
  );
}

/** When the followed run ends, its adapter, evaluation and the cycle's decision may follow: refresh all. */
function useRefreshWhenEnded(run: Run | undefined) {
  const refresh = useRefreshTraining();
  const seen = useRef<{ id: number; active: boolean } | null>(null);
  useEffect(() => {
    if (!run) return;
    const before = seen.current;
    seen.current = { id: run.id, active: isActive(run.status) };
    if (before && before.id === run.id && before.active && !isActive(run.status)) void refresh();
  }, [run, refresh]);
}

function RunRow({ run, selected, onSelect }: { run: Run; selected: boolean; onSelect: (id: number) => void }) {
  return (
    <tr className={selected ? "selected" : undefined} aria-current={selected ? "true" : undefined}>
      <th scope="row">
        <button type="button" className="link-button" aria-pressed={selected} onClick={() => onSelect(run.id)}>
          Run {run.id}
        </button>
      </th>
      <td>
        <RunStatusBadge status={run.status} cancelling={run.cancel_requested} />
      </td>
      <td>
        <code title={run.snapshot_hash}>{shortHash(run.snapshot_hash)}</code>
      </td>
      <td>
        <span title={run.base_model}>{modelName(run.base_model)}</span>
        {run.base_model_label && <span className="badge warn demo-badge" title={run.base_model_label}>demo</span>}
      </td>
      <td>{formatWhen(run.started_at)}</td>
      <td>{isActive(run.status) ? "—" : formatWhen(run.finished_at)}</td>
      <td className="num">
        {run.step ?? 0} / {run.total_steps || "?"}
      </td>
      <td className="num">{formatScore(run.loss)}</td>
      <td className="num">{formatNumber(run.tokens_per_second)}</td>
    </tr>
  );
}

type RunQuery = ReturnType<typeof useRun>;

function RunDetail({ runId, query }: { runId: number; query: RunQuery }) {
  const headingId = useId();
  if (query.isPending) return <Loading label={`Loading run ${runId}…`} />;
  if (query.isError) return <ErrorMessage error={query.error} retry={() => void query.refetch()} />;
  const run = query.data;
  const live = isActive(run.status);
  const points = lossPoints(run.losses);
  const best = points.length ? points.reduce((low, p) => Math.min(low, p.loss), Infinity) : null;
  const percent = run.total_steps ? Math.min(100, Math.round(((run.step ?? 0) / run.total_steps) * 100)) : 0;
  return (
    <article className="run-detail" aria-labelledby={headingId}>
      <div className="section-head">
        <h3 id={headingId}>
          Run {run.id} <RunStatusBadge status={run.status} cancelling={run.cancel_requested} />
        </h3>
        {live && (
          <span className="hint live-note">
            <span className="pulse" aria-hidden="true" /> Live: updated every {RUN_POLL_MS / 1000} s
          </span>
        )}
        {live && <CancelRun run={run} />}
      </div>
      <p className="visually-hidden" role="status">
        {live ? "" : `Run ${run.id} ${run.status}.`}
      </p>
      {run.error && (
        <p className={run.status === "failed" ? "state state-error" : "state state-empty"}>
          <strong>{run.status === "failed" ? "Failed:" : "Note:"}</strong> {run.error}
        </p>
      )}
      <div className="run-grid">
        <LossChart runId={run.id} losses={run.losses} live={live} />
        <dl className="facts">
          <dt>Progress</dt>
          <dd>
            Step {run.step ?? 0} of {run.total_steps || "?"}
            {live && run.total_steps ? (
              <span className="progress" role="progressbar" aria-label={`Run ${run.id} progress`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
                <span style={{ width: `${percent}%` }} />
              </span>
            ) : null}
          </dd>
          <dt>{live ? "Latest loss" : "Final loss"}</dt>
          <dd>{formatScore(run.loss)}</dd>
          <dt>Lowest loss</dt>
          <dd>{formatScore(best)}</dd>
          <dt>Tokens per second</dt>
          <dd className="big-number">{formatNumber(run.tokens_per_second)}</dd>
          <dt>Learning rate</dt>
          <dd>{run.learning_rate ? run.learning_rate.toExponential(2) : "—"}</dd>
          <dt>Peak memory</dt>
          <dd>{run.peak_memory_mb ? `${formatNumber(run.peak_memory_mb)} MB` : "—"}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(run.started_at, run.finished_at)}</dd>
          <dt>Dataset snapshot</dt>
          <dd>
            <code title={run.snapshot_hash}>{shortHash(run.snapshot_hash)}</code>
          </dd>
          <dt>Base model</dt>
          <dd>
            <span title={run.base_model}>{modelName(run.base_model)}</span>
            {run.base_model_label && <div className="hint">{run.base_model_label}</div>}
          </dd>
          <dt>Adapter</dt>
          <dd>{run.adapter ?? (live ? "when it succeeds" : "none")}</dd>
          <dt>Requested by</dt>
          <dd>{run.requested_by || "—"}</dd>
        </dl>
      </div>
      <Settings config={run.config} />
    </article>
  );
}

function Settings({ config }: { config: Run["config"] }) {
  const entries = Object.entries(config ?? {});
  if (entries.length === 0) return null;
  return (
    <details className="settings">
      <summary>Training settings</summary>
      <dl className="facts inline-facts">
        {entries.map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>
              <code>{Array.isArray(value) ? value.join(", ") : String(value)}</code>
            </dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

function CancelRun({ run }: { run: Run }) {
  const client = useQueryClient();
  const refresh = useRefreshTraining();
  const [asking, setAsking] = useState(false);
  const cancel = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/training/runs/{id}/cancel", { params: { path: { id: run.id } } })),
    onSuccess: (updated) => {
      client.setQueryData(trainingKeys.run(updated.id), updated);
      setAsking(false);
      void refresh();
    },
  });
  if (run.cancel_requested) return <span className="hint">Cancelling at the next step…</span>;
  return (
    <>
      <button type="button" className="button small danger" onClick={() => setAsking(true)} aria-expanded={asking}>
        Cancel run
      </button>
      {asking && (
        <Confirm
          title={`Cancel run ${run.id}?`}
          busy={cancel.isPending}
          error={cancel.error}
          confirmLabel="Confirm"
          cancelLabel="Keep running"
          onConfirm={() => cancel.mutate()}
          onCancel={() => {
            cancel.reset();
            setAsking(false);
          }}
        >
          <p>
            {run.status === "queued"
              ? "It has not started: it is dropped at once."
              : "It stops at its next step and keeps a checkpoint; no adapter is registered."}
          </p>
        </Confirm>
      )}
    </>
  );
}

/** Settings typed as JSON: empty for the defaults, else an object of LoraTrainingConfig fields. */
export function parseSettings(text: string): { config?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return { config: value as Record<string, unknown> };
    return { error: 'Training settings must be a JSON object, like {"epochs": 2}.' };
  } catch (error) {
    return { error: `Training settings are not valid JSON (${error instanceof Error ? error.message : String(error)}).` };
  }
}

function StartRun({ disabledBecause, onStarted }: { disabledBecause: string | null; onStarted: (id: number) => void }) {
  const [open, setOpen] = useState(false);
  const formId = useId();
  return (
    <div className="start-run">
      <button
        type="button"
        className="button primary small"
        aria-expanded={open}
        aria-controls={open ? formId : undefined}
        onClick={() => setOpen(!open)}
        disabled={!!disabledBecause && !open}
        title={disabledBecause ?? undefined}
      >
        Start a run
      </button>
      {disabledBecause && !open && <span className="hint">{disabledBecause}</span>}
      {open && (
        <StartRunForm
          id={formId}
          onClose={() => setOpen(false)}
          onStarted={(id) => {
            setOpen(false);
            onStarted(id);
          }}
        />
      )}
    </div>
  );
}

function snapshotLabel(snapshot: Snapshot): string {
  return `${shortHash(snapshot.content_hash)} · ${snapshot.train_count} train, ${snapshot.eval_count} eval · ${formatWhen(snapshot.created_at)}`;
}

function StartRunForm({ id, onClose, onStarted }: { id: string; onClose: () => void; onStarted: (id: number) => void }) {
  const snapshots = useSnapshots();
  const refresh = useRefreshTraining();
  const [snapshot, setSnapshot] = useState("");
  const [settings, setSettings] = useState("");
  const [invalid, setInvalid] = useState("");
  const start = useMutation({
    mutationFn: (body: { snapshot?: number; config?: Record<string, unknown> }) => unwrap(api.POST("/api/v1/training/runs", { body })),
    onSuccess: (run) => {
      void refresh();
      onStarted(run.id);
    },
  });
  const usable = (snapshots.data?.results ?? []).filter((s) => !s.withdrawn_at);

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseSettings(settings);
    setInvalid(parsed.error ?? "");
    if (parsed.error) return;
    start.mutate({ ...(snapshot ? { snapshot: Number(snapshot) } : {}), ...(parsed.config ? { config: parsed.config } : {}) });
  }

  return (
    <form id={id} className="start-run-form card" onSubmit={submit} aria-label="Start a training run">
      {snapshots.isPending ? (
        <Loading label="Loading dataset snapshots…" />
      ) : snapshots.isError ? (
        <ErrorMessage error={snapshots.error} retry={() => void snapshots.refetch()} />
      ) : usable.length === 0 ? (
        <p className="hint">No usable dataset snapshot: build one under “Dataset snapshots” first.</p>
      ) : (
        <label>
          Dataset snapshot
          <select value={snapshot} onChange={(e) => setSnapshot(e.target.value)}>
            <option value="">The newest ({snapshotLabel(usable[0])})</option>
            {usable.map((s) => (
              <option key={s.id} value={s.id}>
                {snapshotLabel(s)}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Training settings (JSON, optional)
        <textarea
          rows={3}
          value={settings}
          onChange={(e) => setSettings(e.target.value)}
          placeholder='{"epochs": 2, "rank": 8, "learning_rate": 0.0002}'
          aria-describedby={`${id}-hint`}
          aria-invalid={!!invalid}
          spellCheck={false}
        />
      </label>
      <p id={`${id}-hint`} className="hint">
        Empty: the base model's recommended settings, then <code>TRAINING_CONFIG</code>. Fields: rank, alpha, dropout,
        target_modules, learning_rate, epochs, batch_size, gradient_accumulation, max_length, seed, warmup_ratio,
        checkpoint_every, device.
      </p>
      {invalid && (
        <p className="form-error" role="alert">
          {invalid}
        </p>
      )}
      {start.isError && <ErrorMessage error={start.error} />}
      <div className="confirm-actions">
        <button type="submit" className="button primary" disabled={start.isPending || usable.length === 0}>
          {start.isPending ? "Starting…" : "Start training"}
        </button>
        <button type="button" className="button" onClick={onClose} disabled={start.isPending}>
          Close
        </button>
      </div>
    </form>
  );
}
