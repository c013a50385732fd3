// A document's versions, newest first, with a comparison of any two of them. The chosen pair and the diff
// level live in the address (?from=1&to=3&diff=lines), so a comparison can be linked to.
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { ErrorMessage, Loading, QueryState } from "../ui/status";
import { useCanWrite, useRestoreVersion, useVersion, useVersions, type KnowledgeDocument, type Version } from "./api";
import { DiffView, type DiffMode } from "./DiffView";
import { FormError } from "../ui/form";
import { formatDate, IndexingState } from "./parts";
import { WarningBadge } from "./Warnings";

export function versionIndexing(version: Version) {
  return { state: version.state ?? "queued", embedded: version.chunks_embedded ?? 0, total: version.chunks_total ?? 0, error: version.last_error || null };
}

function Comparison({ documentId, from, to, mode }: { documentId: number; from: number; to: number; mode: DiffMode }) {
  const before = useVersion(documentId, from);
  const after = useVersion(documentId, to);
  if (before.isPending || after.isPending) return <Loading label="Loading both versions…" />;
  if (before.isError) return <ErrorMessage error={before.error} retry={() => void before.refetch()} />;
  if (after.isError) return <ErrorMessage error={after.error} retry={() => void after.refetch()} />;
  const label = `Changes from version ${from} to version ${to}`;
  return (
    <div>
      {before.data.title !== after.data.title && (
        <p className="kb-title-change">
          Title: <del>
            <span className="visually-hidden">[removed: </span>
            {before.data.title}
            <span className="visually-hidden">]</span>
          </del>{" "}
          →{" "}
          <ins>
            <span className="visually-hidden">[added: </span>
            {after.data.title}
            <span className="visually-hidden">]</span>
          </ins>
        </p>
      )}
      <DiffView before={before.data.text} after={after.data.text} mode={mode} label={label} />
    </div>
  );
}

export function VersionHistory({ document }: { document: KnowledgeDocument }) {
  const versions = useVersions(document.id);
  const canWrite = useCanWrite();
  const restore = useRestoreVersion(document.id);
  const [message, setMessage] = useState("");
  const [params, setParams] = useSearchParams();

  function choose(name: "from" | "to" | "diff", value: string) {
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.set(name, value);
        return next;
      },
      { replace: true },
    );
  }

  return (
    <section className="card" aria-labelledby="history-title" id="history">
      <h2 id="history-title">Version history</h2>
      <QueryState query={versions} label="Loading versions…">
        {(list) => {
          const latest = list[0]?.number;
          const numbers = new Set(list.map((v) => v.number));
          const wantedTo = Number(params.get("to"));
          const to = numbers.has(wantedTo) ? wantedTo : latest;
          const wantedFrom = Number(params.get("from"));
          const from = numbers.has(wantedFrom) ? wantedFrom : list.find((v) => v.number < (to ?? 0))?.number;
          const mode: DiffMode = params.get("diff") === "lines" ? "lines" : "words";
          return (
            <>
              <div className="kb-table-scroll">
                <table className="data kb-versions">
                  <thead>
                    <tr>
                      <th scope="col">Version</th>
                      <th scope="col">Title and note</th>
                      <th scope="col">Saved</th>
                      <th scope="col">Indexing</th>
                      <th scope="col">From</th>
                      <th scope="col">To</th>
                      {canWrite && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((version) => (
                      <tr key={version.id} className={version.number === document.active_version_number ? "kb-served" : undefined}>
                        <td>
                          <Link to={`/knowledge/${document.id}/versions/${version.number}`}>v{version.number}</Link>
                          <WarningBadge count={version.warnings.length} />
                          {version.number === document.active_version_number && <div className="hint">search serves it</div>}
                        </td>
                        <td>
                          {version.title}
                          {version.note && <div className="hint">{version.note}</div>}
                          {version.source_name && <div className="hint mono">{version.source_name}</div>}
                        </td>
                        <td>
                          {formatDate(version.created_at)}
                          {version.author && <div className="hint">by {version.author}</div>}
                        </td>
                        <td>
                          <IndexingState indexing={versionIndexing(version)} />
                        </td>
                        <td>
                          <input
                            type="radio"
                            name="compare-from"
                            aria-label={`Compare from version ${version.number}`}
                            checked={from === version.number}
                            onChange={() => choose("from", String(version.number))}
                          />
                        </td>
                        <td>
                          <input
                            type="radio"
                            name="compare-to"
                            aria-label={`Compare to version ${version.number}`}
                            checked={to === version.number}
                            onChange={() => choose("to", String(version.number))}
                          />
                        </td>
                        {canWrite && (
                          <td>
                            {version.number !== latest && (
                              <button
                                type="button"
                                className="button small"
                                disabled={restore.isPending}
                                aria-label={`Restore version ${version.number}`}
                                onClick={() =>
                                  restore.mutate(
                                    { number: version.number },
                                    {
                                      onSuccess: ({ version: made, created }) =>
                                        setMessage(created ? `Version ${version.number} restored as version ${made.number}.` : `Version ${made.number} already has that text.`),
                                    },
                                  )
                                }
                              >
                                Restore
                              </button>
                            )}
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <p className="hint" role="status">
                {message}
              </p>
              <FormError error={restore.error} />
              <div className="kb-compare-head">
                <h3>Compare</h3>
                <div role="group" aria-label="Diff level" className="kb-toggle">
                  <button type="button" className="button small" aria-pressed={mode === "words"} onClick={() => choose("diff", "words")}>
                    Words
                  </button>
                  <button type="button" className="button small" aria-pressed={mode === "lines"} onClick={() => choose("diff", "lines")}>
                    Lines
                  </button>
                </div>
              </div>
              {list.length < 2 ? (
                <p className="hint">Only one version so far: save a change to compare versions.</p>
              ) : from === undefined || to === undefined || from === to ? (
                <p className="hint">Choose two different versions in the From and To columns.</p>
              ) : (
                <>
                  <p className="hint">
                    From <Link to={`/knowledge/${document.id}/versions/${from}`}>version {from}</Link> to{" "}
                    <Link to={`/knowledge/${document.id}/versions/${to}`}>version {to}</Link>
                  </p>
                  <Comparison documentId={document.id} from={from} to={to} mode={mode} />
                </>
              )}
            </>
          );
        }}
      </QueryState>
    </section>
  );
}
