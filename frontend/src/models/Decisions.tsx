// Decisions: every promotion and roll-back, and each run of the scheduled cycle (promoted, kept the active
// model, skipped, failed), with its reason, who or what acted, and when.
import { useState } from "react";
import { Empty, QueryState } from "../ui/status";
import { ActionBadge } from "./badges";
import { formatWhen, who } from "./format";
import { Pager } from "../ui/Pager";
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
      <QueryState query={events} label="Loading decisions…">
        {(data) =>
          data.results.length === 0 ? (
            <Empty>
              <span>
                No decision yet — each nightly cycle records one here (or run <code>manage.py finetune_cycle</code>), and so does every
                promotion and roll-back.
              </span>
            </Empty>
          ) : (
            <>
              <div className="table-wrap">
                <table className="data events-table">
                  <caption className="visually-hidden">Decisions, newest first.</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Decision</th>
                      <th scope="col">Adapter</th>
                      <th scope="col">By</th>
                      <th scope="col">Reason</th>
                      <th scope="col">
                        <span className="visually-hidden">Links</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.results.map((event) => {
                      const run = event.details?.run;
                      const matrix = event.details?.matrix;
                      return (
                        <tr key={event.id}>
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
                    })}
                  </tbody>
                </table>
              </div>
              <Pager label="Decisions" page={page} hasNewer={!!data.previous} hasOlder={!!data.next} onPage={setPage} />
            </>
          )
        }
      </QueryState>
    </section>
  );
}
