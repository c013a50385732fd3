// Dataset snapshots: what each training set holds (train, eval and preference examples), what was left out
// and why, and building a new one from the examples now.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { PagedTable } from "../ui/PagedTable";
import { ErrorMessage } from "../ui/status";
import { formatNumber, formatWhen, humanize, shortHash } from "./format";
import { useRefreshTraining, useSnapshots, type Snapshot } from "./queries";

export function counts(values: Record<string, number> | undefined): string {
  const entries = Object.entries(values ?? {}).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([why, n]) => `${n} ${why.replace(/_/g, " ")}`).join(", ") : "none";
}

export function Snapshots({ headingId }: { headingId: string }) {
  const snapshots = useSnapshots();
  const refresh = useRefreshTraining();
  const build = useMutation({
    mutationFn: async () => {
      const call = api.POST("/api/v1/training/snapshots");
      const snapshot = await unwrap(call);
      const { response } = await call;
      return { snapshot, created: response.status === 201 };
    },
    onSuccess: () => void refresh(),
  });

  return (
    <section className="card models-section" aria-labelledby={headingId} id="dataset-snapshots">
      <div className="section-head">
        <h2 id={headingId}>Dataset snapshots</h2>
        <button type="button" className="button small primary" onClick={() => build.mutate()} disabled={build.isPending}>
          {build.isPending ? "Building…" : "Build snapshot"}
        </button>
      </div>
      <p className="hint">
        A snapshot freezes the usable training examples (replies agents sent, redacted) into train and held-out evaluation
        files named by their hash. Building when nothing changed keeps the existing one.
      </p>
      {build.isError && <ErrorMessage error={build.error} />}
      {build.isSuccess && (
        <p className="state state-done" role="status">
          {build.data.created
            ? `Built snapshot ${shortHash(build.data.snapshot.content_hash)}: ${build.data.snapshot.train_count} train, ${build.data.snapshot.eval_count} eval examples.`
            : `Nothing changed since snapshot ${shortHash(build.data.snapshot.content_hash)}: it was kept.`}
        </p>
      )}
      <SnapshotTable snapshots={snapshots} />
    </section>
  );
}

function SnapshotTable({ snapshots }: { snapshots: ReturnType<typeof useSnapshots> }) {
  const [open, setOpen] = useState<number | null>(null);
  return (
    <PagedTable
      query={snapshots}
      loading="Loading dataset snapshots…"
      empty={
        <span>
          No dataset snapshot yet — press “Build snapshot” (it needs at least two usable examples: replies agents sent with a
          draft, or backfilled with <code>manage.py backfill_examples</code>), or wait for the nightly cycle.
        </span>
      }
      caption="Dataset snapshots, newest first."
      className="snapshots-table"
      columns={[
        "Snapshot",
        "Created",
        { label: "Train", numeric: true },
        { label: "Eval", numeric: true },
        { label: "Preference", numeric: true },
        { label: "Kept", numeric: true },
        "Left out",
        "Newest example",
        "State",
        { label: "Statistics", hidden: true },
      ]}
      row={(snapshot, detailsId) => {
        const stats = snapshot.stats ?? {};
        const expanded = open === snapshot.id;
        return (
          <>
            <tr className={snapshot.withdrawn_at ? "withdrawn" : undefined}>
              <th scope="row">
                <code title={snapshot.content_hash}>{shortHash(snapshot.content_hash)}</code>
              </th>
              <td>{formatWhen(snapshot.created_at)}</td>
              <td className="num">{formatNumber(snapshot.train_count)}</td>
              <td className="num">{formatNumber(snapshot.eval_count)}</td>
              <td className="num">{formatNumber(snapshot.preference_count)}</td>
              <td className="num">
                {stats.kept !== undefined && stats.examples !== undefined ? `${stats.kept} of ${stats.examples}` : "—"}
              </td>
              <td>{counts(stats.left_out)}</td>
              <td>{formatWhen(snapshot.newest_example_at)}</td>
              <td>
                {snapshot.withdrawn_at ? (
                  <span className="badge bad" title={`Withdrawn ${formatWhen(snapshot.withdrawn_at)}: a customer in it was erased`}>
                    withdrawn {formatWhen(snapshot.withdrawn_at)}
                  </span>
                ) : (
                  <span className="badge good">available</span>
                )}
              </td>
              <td>
                <button
                  type="button"
                  className="button small"
                  aria-expanded={expanded}
                  aria-controls={expanded ? detailsId : undefined}
                  aria-label={`${expanded ? "Hide" : "Details"}: statistics of snapshot ${shortHash(snapshot.content_hash)}`}
                  onClick={() => setOpen(expanded ? null : snapshot.id)}
                >
                  {expanded ? "Hide" : "Details"}
                </button>
              </td>
            </tr>
            {expanded && (
              <tr className="details-row">
                <td colSpan={10} id={detailsId}>
                  <SnapshotDetails snapshot={snapshot} />
                </td>
              </tr>
            )}
          </>
        );
      }}
    />
  );
}

function SnapshotDetails({ snapshot }: { snapshot: Snapshot }) {
  const stats = snapshot.stats ?? {};
  const chars = stats.reply_chars;
  return (
    <dl className="facts inline-facts">
      <div>
        <dt>Hash</dt>
        <dd>
          <code>{snapshot.content_hash}</code>
        </dd>
      </div>
      <div>
        <dt>Outcomes kept</dt>
        <dd>{counts(stats.outcomes)}</dd>
      </div>
      <div>
        <dt>Backfilled</dt>
        <dd>{formatNumber(stats.backfilled)}</dd>
      </div>
      <div>
        <dt>Held out from</dt>
        <dd>{formatWhen(stats.eval_from)}</dd>
      </div>
      <div>
        <dt>Reply length (characters)</dt>
        <dd>{chars ? `mean ${formatNumber(chars.mean, 1)}, median ${formatNumber(chars.median)}, longest ${formatNumber(chars.max)}` : "—"}</dd>
      </div>
      <div>
        <dt>Redacted</dt>
        <dd>{counts(stats.redacted)}</dd>
      </div>
      {Object.entries(snapshot.config ?? {}).map(([key, value]) => (
        <div key={key}>
          <dt>{humanize(key)}</dt>
          <dd>{String(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
