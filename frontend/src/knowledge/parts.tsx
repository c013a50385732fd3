// Small pieces the knowledge pages share: indexing state, status badge, field errors, dates, paging.
import { formatDay, formatWhen } from "../ui/format";
import { useDeferredValue, useEffect, useId, useMemo, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";
import type { Indexing, Option, Status } from "./api";
import { renderMarkdown } from "./markdown";

/** A version's indexing state in the words the pages use: queued, embedding n/m, active, failed. */
export function IndexingState({ indexing }: { indexing: Pick<Indexing, "state" | "embedded" | "total" | "error"> }) {
  const { state, embedded, total, error } = indexing;
  if (state === "embedding") {
    const percent = total > 0 ? Math.round((embedded / total) * 100) : 0;
    return (
      <span className="kb-indexing">
        <span className="badge info">
          embedding {embedded}/{total}
        </span>
        <span
          className="progress"
          role="progressbar"
          aria-label="Embedding progress"
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={embedded}
        >
          <span style={{ width: `${percent}%` }} />
        </span>
      </span>
    );
  }
  if (state === "failed") {
    return (
      <span className="kb-indexing">
        <span className="badge bad">failed</span>
        {error && <span className="kb-indexing-error">{error}</span>}
      </span>
    );
  }
  if (state === "active") return <span className="badge good">active</span>;
  if (state === "queued") return <span className="badge info">queued</span>;
  if (state === "empty") return <span className="badge">no text</span>;
  return <span className="badge">{state}</span>;
}

const STATUS_CLASS: Record<Status, string> = { draft: "warn", published: "good", archived: "" };

export function StatusBadge({ status }: { status: Status | undefined }) {
  const value = status ?? "draft";
  return <span className={`badge ${STATUS_CLASS[value]}`}>{value}</span>;
}

function fieldMessages(error: unknown, name: string): string[] {
  if (!(error instanceof ApiError)) return [];
  return Object.entries(error.fields)
    .filter(([key]) => key === name || key.startsWith(`${name}[`))
    .flatMap(([, messages]) => messages);
}

/** The server's messages for one field of a form, next to that field. */
export function FieldError({ error, name, id }: { error: unknown; name: string; id?: string }) {
  const messages = fieldMessages(error, name);
  if (messages.length === 0) return null;
  return (
    <span className="form-error kb-field-error" id={id} role="alert">
      {messages.join(" ")}
    </span>
  );
}

type ControlProps = { id: string; "aria-invalid"?: true; "aria-describedby"?: string };

/** A labelled control with the server's messages for it underneath, tied to it by aria-describedby (and
 * kept out of its label, so the control's name stays the same when an error shows). */
export function Field({ label, error, name, className, children }: {
  label: string;
  error: unknown;
  name: string;
  className?: string;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const invalid = fieldMessages(error, name).length > 0;
  return (
    <div className={`kb-field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": invalid || undefined, "aria-describedby": invalid ? `${id}-error` : undefined })}
      <FieldError error={error} name={name} id={`${id}-error`} />
    </div>
  );
}

/** The general message of a failed form submit, shown above its buttons. */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}

export { formatWhen as formatDate } from "../ui/format";

/** A day, with the full time as a tooltip: for tables, where a time would only crowd the column. */
export function Day({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <>—</>;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return <>{iso}</>;
  return (
    <time dateTime={iso} title={formatWhen(iso)}>
      {formatDay(iso)}
    </time>
  );
}

export function labelOf(options: Option[] | undefined, value: string): string {
  return options?.find((option) => option.value === value)?.label ?? value;
}

export function Pagination({ page, count, pageSize, onPage }: { page: number; count: number; pageSize: number; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(count / pageSize));
  if (pages <= 1) return null;
  return (
    <nav className="kb-pagination" aria-label="Pages">
      <button type="button" className="button small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" className="button small" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/** Rendered, sanitised Markdown. Rendering trails typing a little, so a long text never blocks the editor. */
export function MarkdownView({ text, label }: { text: string; label: string }) {
  const deferred = useDeferredValue(text);
  const html = useMemo(() => renderMarkdown(deferred), [deferred]);
  return <div className="kb-markdown" role="region" aria-label={label} tabIndex={0} dangerouslySetInnerHTML={{ __html: html }} />;
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
