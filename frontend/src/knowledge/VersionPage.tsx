// One version of a document, as it was saved: `/knowledge/:id/versions/:number`. Citations in the agent
// console and search results link here, so it works for readers as well as editors.
import { useState } from "react";
import { Link } from "react-router-dom";
import { ErrorMessage, Loading } from "../ui/status";
import { useCanWrite, useDocument, useRestoreVersion, useVersion } from "./api";
import { FormError } from "../ui/form";
import { formatDate, IndexingState, MarkdownView } from "./parts";
import { WarningsPanel } from "./Warnings";
import "./knowledge.css";

export function VersionPage({ id, number }: { id: number; number: number }) {
  const version = useVersion(id, number);
  const document = useDocument(id);
  const canWrite = useCanWrite();
  const restore = useRestoreVersion(id);
  const [view, setView] = useState<"rendered" | "source">("rendered");
  const [message, setMessage] = useState("");

  const back = (
    <p className="kb-crumbs">
      <Link to="/knowledge">Knowledge</Link> / <Link to={`/knowledge/${id}`}>{document.data?.title ?? `Document ${id}`}</Link> / <span>version {number}</span>
    </p>
  );
  if (version.isPending) return <div className="page">{back}<Loading label="Loading the version…" /></div>;
  if (version.isError) {
    return (
      <div className="page">
        {back}
        <ErrorMessage error={version.error} retry={() => void version.refetch()} />
      </div>
    );
  }
  const data = version.data;
  const latest = document.data?.latest_version;
  const served = document.data?.active_version_number === number;
  const older = latest !== undefined && latest !== null && latest > number;
  return (
    <div className="page">
      {back}
      <div className="page-head">
        <h1>{data.title}</h1>
        <span className="badge info">version {data.number}</span>
        <IndexingState indexing={{ state: data.state ?? "queued", embedded: data.chunks_embedded ?? 0, total: data.chunks_total ?? 0, error: data.last_error || null }} />
        <div className="actions">
          <Link className="button" to={`/knowledge/${id}`}>
            Document page
          </Link>
          {older && (
            <Link className="button" to={`/knowledge/${id}?from=${number}&to=${latest}#history`}>
              Compare with newest
            </Link>
          )}
          {canWrite && older && (
            <button
              type="button"
              className="button primary"
              disabled={restore.isPending}
              onClick={() =>
                restore.mutate(
                  { number },
                  { onSuccess: ({ version: made, created }) => setMessage(created ? `Restored as version ${made.number}.` : `Version ${made.number} already has this text.`) },
                )
              }
            >
              Restore this version
            </button>
          )}
        </div>
      </div>
      {document.isError && <ErrorMessage error={document.error} retry={() => void document.refetch()} />}
      <FormError error={restore.error} />
      {message && (
        <p className="hint" role="status">
          {message} <Link to={`/knowledge/${id}`}>Open the document</Link>
        </p>
      )}
      {older && (
        <div className="state state-empty kb-older">
          This is an older version. The newest is <Link to={`/knowledge/${id}/versions/${latest}`}>version {latest}</Link>.
        </div>
      )}
      <dl className="kb-facts kb-facts-inline">
        <dt>Saved</dt>
        <dd>
          {formatDate(data.created_at)}
          {data.author ? ` by ${data.author}` : ""}
        </dd>
        {data.note && (
          <>
            <dt>Note</dt>
            <dd>{data.note}</dd>
          </>
        )}
        <dt>Search</dt>
        <dd>{served ? "serves this version" : "does not serve this version"}</dd>
        {data.source_name && (
          <>
            <dt>Source file</dt>
            <dd>{data.source_file ? <a href={data.source_file}>{data.source_name}</a> : data.source_name}</dd>
          </>
        )}
      </dl>
      <WarningsPanel warnings={data.warnings} heading={`Warnings on version ${data.number}`} />
      <section className="card">
        <div role="group" aria-label="Show the text" className="kb-toggle">
          <button type="button" className="button small" aria-pressed={view === "rendered"} onClick={() => setView("rendered")}>
            Rendered
          </button>
          <button type="button" className="button small" aria-pressed={view === "source"} onClick={() => setView("source")}>
            Source
          </button>
        </div>
        {view === "rendered" ? (
          <MarkdownView text={data.text} label={`Text of version ${data.number}`} />
        ) : (
          <pre className="kb-source-view" tabIndex={0} aria-label={`Source of version ${data.number}`}>
            {data.text}
          </pre>
        )}
      </section>
    </div>
  );
}
