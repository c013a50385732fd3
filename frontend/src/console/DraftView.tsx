// A draft rendered for review: citation markers that show their passage, and flagged spans highlighted.
import { useId, useState } from "react";
import { Link } from "react-router-dom";
import { useVersionRefs } from "../knowledge/api";
import { type Citation, type Flag } from "./api";
import { draftPieces, flagLabel, inTextFlags, type Piece } from "./draft";

export function CitationMarker({ marker, citation }: { marker: number; citation: Citation | undefined }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  // Citations carry the version's id; its number (for the version's page) is looked up when the card opens.
  const refs = useVersionRefs(open && citation ? [citation.version_id] : []);
  const number = citation ? refs.data?.get(citation.version_id)?.number : undefined;
  if (!citation) {
    return (
      <mark className="flag flag-unknown_marker" title="This marker names no retrieved passage">
        [{marker}]
      </mark>
    );
  }
  const href = number ? `/knowledge/${citation.document_id}/versions/${number}` : `/knowledge/${citation.document_id}`;
  return (
    <span className="citation" onMouseEnter={() => setOpen(true)} onMouseLeave={() => setOpen(false)}>
      <button
        type="button"
        className="citation-marker"
        aria-expanded={open}
        aria-controls={id}
        aria-label={`Citation ${marker}: ${citation.title}`}
        onClick={() => setOpen((was) => !was)}
        onFocus={() => setOpen(true)}
        onKeyDown={(event) => {
          if (event.key === "Escape" && open) {
            event.stopPropagation(); // closes the card, not the ticket
            setOpen(false);
          }
        }}
      >
        {marker}
      </button>
      {open && (
        <span className="citation-card" id={id} role="tooltip">
          <strong>{citation.title}</strong>
          {citation.heading && <span className="hint"> › {citation.heading}</span>}
          {citation.quote && <q className="citation-quote">{citation.quote}</q>}
          <Link to={href} className="citation-open">
            Open document version{number ? ` ${number}` : ""}
          </Link>
        </span>
      )}
    </span>
  );
}

function Pieces({ pieces, citations }: { pieces: Piece[]; citations: Map<number, Citation> }) {
  return (
    <>
      {pieces.map((piece, index) => {
        if (piece.kind === "text") return <span key={index}>{piece.text}</span>;
        if (piece.kind === "marker") return <CitationMarker key={index} marker={piece.marker} citation={citations.get(piece.marker)} />;
        return (
          <mark key={index} className={`flag flag-${piece.flag}`} title={flagLabel(piece.flag)}>
            <Pieces pieces={piece.pieces} citations={citations} />
            <span className="visually-hidden"> ({flagLabel(piece.flag)})</span>
          </mark>
        );
      })}
    </>
  );
}

export function DraftView({ text, citations, flags }: { text: string; citations: readonly Citation[]; flags: readonly Flag[] }) {
  const byMarker = new Map(citations.map((citation) => [citation.marker, citation]));
  return (
    <div className="draft-text">
      <Pieces pieces={draftPieces(text, inTextFlags(flags))} citations={byMarker} />
    </div>
  );
}

export function FlagList({ flags }: { flags: readonly Flag[] }) {
  if (!flags.length) return <p className="hint good-text">Every sentence is backed by its citation.</p>;
  return (
    <ul className="flag-list" aria-label="What to check before sending">
      {flags.map((flag, index) => (
        <li key={index} className={`flag-item flag-${flag.kind}`}>
          <span className="badge warn">{flag.kind.replace(/_/g, " ")}</span> {flag.reason || flagLabel(flag.kind)}
          {flag.kind !== "unsupported" && flag.text ? (
            <>
              : <code>{flag.text}</code>
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** What internal documents say about the question: for the agent only, never inserted into the reply. */
export function AgentNote({ note }: { note: string }) {
  if (!note) return null;
  const [heading, ...lines] = note.split("\n");
  return (
    <section className="agent-note" aria-label="Note for the agent (not sent)">
      <p className="agent-note-head">{heading}</p>
      <ul>
        {lines.map((line, index) => (
          <li key={index}>{line.replace(/^- /, "")}</li>
        ))}
      </ul>
    </section>
  );
}
