// The difference between two texts, word by word or line by line. Colour marks additions and removals for
// the eye; <ins>/<del> and hidden words ("added", "removed") mark them for screen readers.
import { diffLines, diffWords, type Change } from "diff";
import { useMemo, useState, type ReactNode } from "react";

export type DiffMode = "words" | "lines";

type Computed = { changes: Change[]; mode: DiffMode; fellBack: boolean };

const TIMEOUT_MS = 2_000;

export function computeDiff(before: string, after: string, mode: DiffMode): Computed {
  if (mode === "words") {
    const changes = diffWords(before, after, { timeout: TIMEOUT_MS });
    if (changes) return { changes, mode, fellBack: false };
  }
  const changes = diffLines(before, after, { timeout: TIMEOUT_MS }) ?? [
    { value: before, removed: true, added: false, count: 1 },
    { value: after, removed: false, added: true, count: 1 },
  ];
  return { changes, mode: "lines", fellBack: mode === "words" };
}

function Marked({ change, children }: { change: Change; children: ReactNode }) {
  if (change.added) {
    return (
      <ins>
        <span className="visually-hidden">[added: </span>
        {children}
        <span className="visually-hidden">]</span>
      </ins>
    );
  }
  if (change.removed) {
    return (
      <del>
        <span className="visually-hidden">[removed: </span>
        {children}
        <span className="visually-hidden">]</span>
      </del>
    );
  }
  return <span>{children}</span>;
}

const CONTEXT = 3;

type Line = { kind: "added" | "removed" | "same"; text: string };

function linesOf(changes: Change[]): Line[] {
  const lines: Line[] = [];
  for (const change of changes) {
    const parts = change.value.replace(/\n$/, "").split("\n");
    const kind = change.added ? "added" : change.removed ? "removed" : "same";
    for (const text of parts) lines.push({ kind, text });
  }
  return lines;
}

function LineDiff({ changes }: { changes: Change[] }) {
  const [expanded, setExpanded] = useState(false);
  const lines = useMemo(() => linesOf(changes), [changes]);
  // Unchanged stretches far from any change fold away, leaving a few lines of context around each change.
  const near = useMemo(() => {
    const keep = new Array<boolean>(lines.length).fill(false);
    lines.forEach((line, index) => {
      if (line.kind === "same") return;
      for (let i = Math.max(0, index - CONTEXT); i <= Math.min(lines.length - 1, index + CONTEXT); i++) keep[i] = true;
    });
    return keep;
  }, [lines]);
  const rows: ReactNode[] = [];
  let hidden = 0;
  const flush = (key: string) => {
    if (hidden > 0) {
      rows.push(
        <div className="kb-diff-line fold" key={key}>
          <button type="button" className="button small" onClick={() => setExpanded(true)}>
            Show {hidden} unchanged {hidden === 1 ? "line" : "lines"}
          </button>
        </div>,
      );
      hidden = 0;
    }
  };
  lines.forEach((line, index) => {
    if (!expanded && line.kind === "same" && !near[index]) {
      hidden += 1;
      return;
    }
    flush(`fold-${index}`);
    const sign = line.kind === "added" ? "+" : line.kind === "removed" ? "−" : " ";
    const words = line.kind === "added" ? "Added line: " : line.kind === "removed" ? "Removed line: " : "";
    const body = line.text || " ";
    rows.push(
      <div className={`kb-diff-line ${line.kind}`} key={index}>
        <span className="kb-diff-sign" aria-hidden="true">
          {sign}
        </span>
        {line.kind === "added" ? (
          <ins>
            <span className="visually-hidden">{words}</span>
            {body}
          </ins>
        ) : line.kind === "removed" ? (
          <del>
            <span className="visually-hidden">{words}</span>
            {body}
          </del>
        ) : (
          <span>{body}</span>
        )}
      </div>,
    );
  });
  flush("fold-end");
  return <div className="kb-diff lines">{rows}</div>;
}

function count(changes: Change[], which: "added" | "removed", mode: DiffMode): number {
  return changes.filter((change) => change[which]).reduce((sum, change) => sum + (mode === "lines" ? change.count ?? 1 : change.value.trim().split(/\s+/).filter(Boolean).length), 0);
}

/** The changes from `before` to `after`; `label` names the comparison for assistive technology. */
export function DiffView({ before, after, mode, label }: { before: string; after: string; mode: DiffMode; label: string }) {
  const computed = useMemo(() => computeDiff(before, after, mode), [before, after, mode]);
  const added = count(computed.changes, "added", computed.mode);
  const removed = count(computed.changes, "removed", computed.mode);
  const unit = computed.mode === "lines" ? "line" : "word";
  return (
    <figure className="kb-diff-figure" aria-label={label}>
      <figcaption className="kb-diff-summary">
        {added === 0 && removed === 0 ? (
          "No differences."
        ) : (
          <>
            <span className="kb-added-count">
              {added} {unit}
              {added === 1 ? "" : "s"} added
            </span>
            ,{" "}
            <span className="kb-removed-count">
              {removed} {unit}
              {removed === 1 ? "" : "s"} removed
            </span>
          </>
        )}
        {computed.fellBack && <span className="hint"> (too many changes to compare word by word: shown by line)</span>}
      </figcaption>
      {computed.mode === "lines" ? (
        <LineDiff changes={computed.changes} />
      ) : (
        <div className="kb-diff words">
          {computed.changes.map((change, index) => (
            <Marked key={index} change={change}>
              {change.value}
            </Marked>
          ))}
        </div>
      )}
    </figure>
  );
}
