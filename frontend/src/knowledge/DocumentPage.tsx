// One document: its text (an editor with live preview for editors, the rendered text for readers), status
// changes, settings, indexing and version history with comparison.
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { ErrorMessage, Loading, QueryState } from "../ui/status";
import { useShortcut } from "../ui/shortcuts";
import { useCanWrite, useDocument, useSaveVersion, useUpdateDocument, useVersion, type KnowledgeDocument, type Status, type VersionDetail } from "./api";
import { MarkdownEditor } from "./MarkdownEditor";
import { Field, FieldError, FormError } from "../ui/form";
import { formatDate, IndexingState, MarkdownView, StatusBadge } from "./parts";
import { DocumentSettings } from "./SettingsForm";
import { VersionHistory } from "./VersionHistory";
import { warningCount, WarningsPanel } from "./Warnings";
import "./knowledge.css";

type Transition = { to: Status; label: string; primary?: boolean };

/** The status changes offered from each status (the API takes any; these are the sensible ones). */
export const TRANSITIONS: Record<Status, Transition[]> = {
  draft: [
    { to: "published", label: "Publish", primary: true },
    { to: "archived", label: "Archive" },
  ],
  published: [
    { to: "draft", label: "Unpublish" },
    { to: "archived", label: "Archive" },
  ],
  archived: [{ to: "draft", label: "Restore" }],
};

function StatusActions({ document }: { document: KnowledgeDocument }) {
  const update = useUpdateDocument(document.id);
  const status = document.status ?? "draft";
  return (
    <div className="kb-status-actions">
      {TRANSITIONS[status].map((transition) => (
        <button
          key={transition.to}
          type="button"
          className={`button${transition.primary ? " primary" : ""}`}
          disabled={update.isPending}
          onClick={() => update.mutate({ status: transition.to })}
        >
          {transition.label}
        </button>
      ))}
      <FormError error={update.error} />
    </div>
  );
}

type Base = { number: number; title: string; text: string };

function Editor({ document, latest }: { document: KnowledgeDocument; latest: VersionDetail }) {
  const save = useSaveVersion(document.id);
  const [base, setBase] = useState<Base>(latest);
  const [title, setTitle] = useState(latest.title);
  const [text, setText] = useState(latest.text);
  const [note, setNote] = useState("");
  const [message, setMessage] = useState("");
  const dirty = title !== base.title || text !== base.text;
  // A newer version arrived (saved elsewhere): take it unless there are unsaved changes here.
  if (latest.number !== base.number && !dirty) {
    setBase(latest);
    setTitle(latest.title);
    setText(latest.text);
  }
  const overtaken = latest.number > base.number && dirty;

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!dirty || save.isPending) return;
    setMessage("");
    save.mutate(
      { title: title.trim(), text, note: note.trim() },
      {
        onSuccess: ({ version, created }) => {
          setBase({ number: version.number, title: version.title, text });
          setTitle(version.title);
          setNote("");
          setMessage(created ? `Saved as version ${version.number}.` : `Nothing new: the text is the same as version ${version.number}.`);
        },
      },
    );
  }
  useShortcut("mod+Enter", () => submit());

  return (
    <form className="card kb-form" onSubmit={submit} aria-label="Edit document">
      <div className="kb-row">
        <Field label="Title" error={save.error} name="title" className="kb-grow">
          {(control) => <input {...control} value={title} maxLength={300} required onChange={(e) => setTitle(e.target.value)} />}
        </Field>
      </div>
      <MarkdownEditor value={text} onChange={setText} required error={<FieldError error={save.error} name="text" />} />
      {overtaken && (
        <div className="state state-error" role="alert">
          Version {latest.number} was saved since you started editing version {base.number}. Saving stores your text as a newer version over it.
          <button
            type="button"
            className="button small"
            onClick={() => {
              setBase(latest);
              setTitle(latest.title);
              setText(latest.text);
            }}
          >
            Discard my changes and load version {latest.number}
          </button>
        </div>
      )}
      <div className="kb-row kb-save-row">
        <Field label="Version note (optional)" error={save.error} name="note" className="kb-grow">
          {(control) => <input {...control} value={note} maxLength={500} placeholder="What changed and why" onChange={(e) => setNote(e.target.value)} />}
        </Field>
        <button type="submit" className="button primary" disabled={!dirty || save.isPending}>
          {save.isPending ? "Saving…" : "Save new version"}
        </button>
        <button
          type="button"
          className="button"
          disabled={!dirty || save.isPending}
          onClick={() => {
            setTitle(base.title);
            setText(base.text);
            save.reset();
          }}
        >
          Discard changes
        </button>
      </div>
      <FormError error={save.error} />
      <p className="hint" role="status">
        {message || (dirty ? `Editing version ${base.number}: unsaved changes.` : `Showing version ${base.number}, the newest.`)}{" "}
        <kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves.
      </p>
    </form>
  );
}

function Reader({ latest }: { latest: VersionDetail }) {
  return (
    <section className="card" aria-label="Text">
      <p className="hint">
        Version {latest.number}, saved {formatDate(latest.created_at)}
        {latest.author ? ` by ${latest.author}` : ""}.
      </p>
      <MarkdownView text={latest.text} label="Document text" />
    </section>
  );
}

function IndexingCard({ document }: { document: KnowledgeDocument }) {
  const searchable = document.status === "published";
  return (
    <section className="card" aria-labelledby="indexing-title">
      <h2 id="indexing-title">Indexing</h2>
      <dl className="kb-facts">
        <dt>Newest version</dt>
        <dd>
          {document.latest_version ? (
            <>
              <Link to={`/knowledge/${document.id}/versions/${document.latest_version}`}>v{document.latest_version}</Link>{" "}
              <IndexingState indexing={document.indexing} />
            </>
          ) : (
            "—"
          )}
        </dd>
        <dt>Search serves</dt>
        <dd>
          {!searchable ? (
            <span>nothing: the document is {document.status ?? "draft"}</span>
          ) : document.active_version_number ? (
            <Link to={`/knowledge/${document.id}/versions/${document.active_version_number}`}>v{document.active_version_number}</Link>
          ) : (
            "nothing yet: waiting for indexing"
          )}
        </dd>
        <dt>Slug</dt>
        <dd className="mono">{document.slug}</dd>
        <dt>Source</dt>
        <dd>
          {document.source}
          {document.external_id && <span className="mono"> · {document.external_id}</span>}
        </dd>
        <dt>Updated</dt>
        <dd>{formatDate(document.updated_at)}</dd>
      </dl>
    </section>
  );
}

function TextSection({ document }: { document: KnowledgeDocument }) {
  const canWrite = useCanWrite();
  const latest = useVersion(document.id, document.latest_version, true);
  if (!document.latest_version) return <ErrorMessage error={new Error("This document has no text yet.")} />;
  // The version in hand stays on screen while a newer one loads, so the editor is never torn down mid-edit.
  return (
    <QueryState query={latest} label="Loading the text…">
      {(version) => (canWrite ? <Editor document={document} latest={version} /> : <Reader latest={version} />)}
    </QueryState>
  );
}

export function DocumentPage({ id }: { id: number }) {
  const document = useDocument(id);
  const canWrite = useCanWrite();
  if (document.isPending) return <div className="page"><Loading label="Loading the document…" /></div>;
  if (document.isError) {
    return (
      <div className="page">
        <p>
          <Link to="/knowledge">Back to documents</Link>
        </p>
        <ErrorMessage error={document.error} retry={() => void document.refetch()} />
      </div>
    );
  }
  const data = document.data;
  return (
    <div className="page">
      <p className="kb-crumbs">
        <Link to="/knowledge">Knowledge</Link> / <span>{data.slug}</span>
      </p>
      <div className="page-head">
        <h1>{data.title}</h1>
        <StatusBadge status={data.status} />
        <IndexingState indexing={data.indexing} />
        <div className="actions">{canWrite && <StatusActions document={data} />}</div>
      </div>
      <WarningsPanel warnings={data.warnings} heading={`Warnings on version ${data.latest_version}`} />
      {data.active_version_number != null && data.active_version_number !== data.latest_version && data.active_version_warnings > 0 && (
        <p className="state state-warn">
          The version search serves,{" "}
          <Link to={`/knowledge/${data.id}/versions/${data.active_version_number}`}>version {data.active_version_number}</Link>, has{" "}
          {warningCount(data.active_version_warnings)}.
        </p>
      )}
      <TextSection document={data} />
      <div className="kb-doc-grid">
        <VersionHistory document={data} />
        <div>
          <section className="card" aria-labelledby="settings-title">
            <h2 id="settings-title">Settings</h2>
            <DocumentSettings document={data} />
          </section>
          <IndexingCard document={data} />
        </div>
      </div>
    </div>
  );
}
