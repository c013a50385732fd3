// Upload: drop files or pick them; each file goes up in a request of its own, so one bad file never sinks
// the others, and each gets its own result: the document it made or changed, or the server's reason.
import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type DragEvent } from "react";
import { Link } from "react-router-dom";
import { ErrorMessage } from "../ui/status";
import { UPLOAD_ACCEPT, uploadFile, useOptions, type UploadMeta, type UploadResult } from "./api";
import { WarningBadge, WarningList } from "./Warnings";
import "./knowledge.css";

type Item = {
  key: number;
  file: File;
  status: "waiting" | "uploading" | "done" | "failed";
  result?: UploadResult;
  error?: string;
};

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function Outcome({ item }: { item: Item }) {
  if (item.status === "waiting") return <span className="badge">waiting</span>;
  if (item.status === "uploading") return <span className="badge info">uploading…</span>;
  if (item.status === "failed" || !item.result?.ok) {
    return (
      <span className="kb-upload-outcome">
        <span className="badge bad">failed</span> <span className="kb-upload-error">{item.error || item.result?.error || "The file was not stored."}</span>
      </span>
    );
  }
  const { result } = item;
  const what = result.created ? "created" : result.unchanged ? "unchanged" : "new version";
  const warnings = result.warnings ?? [];
  return (
    <div className="kb-upload-outcome">
      <span className={`badge ${result.unchanged ? "" : "good"}`}>{what}</span>{" "}
      {result.document_id != null && <Link to={`/knowledge/${result.document_id}`}>{result.title || `Open document #${result.document_id}`}</Link>}
      {result.unchanged && <span className="hint"> (same text as its newest version)</span>} <WarningBadge count={warnings.length} />
      <WarningList warnings={warnings} label={`Warnings for ${item.file.name}`} />
    </div>
  );
}

let nextKey = 1;

export function UploadPage() {
  const client = useQueryClient();
  const options = useOptions();
  const [items, setItems] = useState<Item[]>([]);
  const [meta, setMeta] = useState<UploadMeta>({ status: "draft" });
  const [dragging, setDragging] = useState(false);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const input = useRef<HTMLInputElement>(null);

  function update(key: number, change: Partial<Item>) {
    setItems((all) => all.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }

  async function send(item: Item, with_: UploadMeta) {
    update(item.key, { status: "uploading" });
    try {
      const result = await uploadFile(item.file, with_);
      update(item.key, { status: result.ok ? "done" : "failed", result, error: result.ok ? undefined : result.error });
    } catch (error) {
      update(item.key, { status: "failed", error: error instanceof Error ? error.message : String(error) });
    }
  }

  function add(files: FileList | File[]) {
    const added: Item[] = [...files].map((file) => ({ key: nextKey++, file, status: "waiting" }));
    if (added.length === 0) return;
    setItems((all) => [...added, ...all]);
    const chosen = { ...meta };
    // One request at a time, in the order given: the server parses each file in full.
    queue.current = queue.current.then(async () => {
      for (const item of added) await send(item, chosen);
      await client.invalidateQueries({ queryKey: ["knowledge", "documents"] });
    });
  }

  function drop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer?.files?.length) add(event.dataTransfer.files);
  }

  const busy = items.some((item) => item.status === "waiting" || item.status === "uploading");
  const done = items.filter((item) => item.status === "done").length;
  const failed = items.filter((item) => item.status === "failed").length;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Upload documents</h1>
        <div className="actions">
          <Link className="button" to="/knowledge">
            Back to documents
          </Link>
          <Link className="button" to="/knowledge/new">
            New document
          </Link>
        </div>
      </div>
      <div className="card">
        <div className="filters">
          <label>
            Kind
            <select value={meta.kind ?? ""} onChange={(event) => setMeta({ ...meta, kind: event.target.value || undefined })}>
              <option value="">Policy (default)</option>
              {options.data?.kinds.map((kind) => (
                <option key={kind.value} value={kind.value}>
                  {kind.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Language
            <input
              value={meta.language ?? ""}
              placeholder="en"
              size={6}
              onChange={(event) => setMeta({ ...meta, language: event.target.value.trim() || undefined })}
            />
          </label>
          <label>
            Status
            <select value={meta.status ?? "draft"} onChange={(event) => setMeta({ ...meta, status: event.target.value })}>
              <option value="draft">Draft</option>
              <option value="published">Published</option>
            </select>
          </label>
          <p className="hint">Applies to files added from now on. Markdown, HTML, PDF, DOCX or plain text. A file uploaded again under the same name becomes a new version of its document.</p>
        </div>
        {options.isError && <ErrorMessage error={options.error} retry={() => void options.refetch()} />}
        <div
          className={`kb-dropzone${dragging ? " dragging" : ""}`}
          onDragEnter={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragOver={(event) => event.preventDefault()}
          onDragLeave={(event) => {
            if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
          }}
          onDrop={drop}
        >
          <p>
            <strong>Drop files here</strong> or choose them:
          </p>
          <input
            ref={input}
            type="file"
            multiple
            accept={UPLOAD_ACCEPT}
            aria-label="Upload documents"
            onChange={(event) => {
              if (event.target.files) add(event.target.files);
              event.target.value = "";
            }}
          />
        </div>
      </div>
      {items.length > 0 && (
        <section className="card" aria-labelledby="upload-results">
          <div className="page-head">
            <h2 id="upload-results">Results</h2>
            <span className="hint" aria-live="polite">
              {busy ? "Uploading…" : `${done} stored, ${failed} failed`}
            </span>
            <div className="actions">
              <button type="button" className="button small" disabled={busy} onClick={() => setItems([])}>
                Clear results
              </button>
            </div>
          </div>
          <table className="data">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.key} data-testid="upload-row">
                  <td className="mono">{item.file.name}</td>
                  <td className="num">{size(item.file.size)}</td>
                  <td>
                    <Outcome item={item} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
