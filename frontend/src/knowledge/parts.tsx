// Small pieces the knowledge pages share: indexing state, status badge, dates, paging.
import { formatDay, formatWhen } from "../ui/format";
import { useDeferredValue, useEffect, useMemo, useState } from "react";
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
