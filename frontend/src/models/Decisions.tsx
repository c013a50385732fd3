// Decisions: every promotion and roll-back, and each run of the scheduled cycle (promoted, kept the active
// model, skipped, failed), with its reason, who or what acted, and when.
import { useState } from "react";
import { PagedTable } from "../ui/PagedTable";
import { ActionBadge } from "./badges";
import { formatWhen, who } from "./format";
import { useEvents } from "./queries";

type Props = { headingId: string; onShowRun: (id: number) => void; onShowEvaluation: (id: number) => void };

export function Decisions({ headingId, onShowRun, onShowEvaluation }: Props) {
  const [page, setPage] = useState(1);
  const events = useEvents(page);
  return (
    <section className="card models-section" aria-labelledby={headingId} id="decisions">
      <div className="section-head">
        <h2 id={headingId}>Decisions</h2>
      </div>
      <p className="hint">
        The nightly cycle records what it decided and why; promotions and roll-backs by hand are recorded with who did them.
      </p>
      <PagedTable
        query={events}
        loading="Loading decisions…"
        empty={
          <span>
            No decision yet — each nightly cycle records one here (or run <code>manage.py finetune_cycle</code>), and so does every
            promotion and roll-back.
          </span>
        }
        caption="Decisions, newest first."
        className="events-table"
        columns={["When", "Decision", "Adapter", "By", "Reason", { label: "Links", hidden: true }]}
        paging={{ label: "Decisions", page, onPage: setPage }}
        row={(event) => {
          const run = event.details?.run;
          const matrix = event.details?.matrix;
          return (
            <tr>
              <td>
                <time dateTime={event.created_at}>{formatWhen(event.created_at)}</time>
              </td>
              <td>
                <ActionBadge action={event.action} />
              </td>
              <td>
                {event.adapter ?? (event.action === "rolled_back" ? "base model" : "—")}
                {event.previous && <div className="hint">before: {event.previous}</div>}
              </td>
              <td>{who(event.by)}</td>
              <td className="reason">{event.reason}</td>
              <td className="actions">
                {typeof run === "number" && (
                  <button type="button" className="button small" onClick={() => onShowRun(run)}>
                    Show run {run}
                  </button>
                )}
                {typeof matrix === "number" && (
                  <button type="button" className="button small" onClick={() => onShowEvaluation(matrix)}>
                    Show evaluation {matrix}
                  </button>
                )}
              </td>
            </tr>
          );
        }}
      />
    </section>
  );
}
