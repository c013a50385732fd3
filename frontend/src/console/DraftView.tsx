// A draft rendered for review: its Markdown as text (bold, lists, links with their address), citation markers
// that show their passage, and flagged spans highlighted; the flags with their reasons.
import { Fragment, useId, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { useVersionRefs } from "../knowledge/api";
import { type Citation, type Flag } from "./api";
import { draftBlocks, flagLabel, flagSummary, type Block, type Inline } from "./draft";
import "./draft.css";

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

function styled(text: string, style: Extract<Inline, { kind: "text" }>["style"]): ReactNode {
  let node: ReactNode = text;
  if (style.code) node = <code>{node}</code>;
  if (style.link) node = <span className="draft-link">{node}</span>;
  if (style.del) node = <del>{node}</del>;
  if (style.em) node = <em>{node}</em>;
  if (style.strong) node = <strong>{node}</strong>;
  return node;
}

function Pieces({ pieces, citations }: { pieces: readonly Inline[]; citations: Map<number, Citation> }) {
  return (
    <>
      {pieces.map((piece, index) => {
        if (piece.kind === "text") return <Fragment key={index}>{styled(piece.text, piece.style)}</Fragment>;
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

function Blocks({ blocks, citations }: { blocks: readonly Block[]; citations: Map<number, Citation> }) {
  return (
    <>
      {blocks.map((block, index) => {
        switch (block.kind) {
          case "paragraph":
            return (
              <p key={index}>
                <Pieces pieces={block.pieces} citations={citations} />
              </p>
            );
          case "line":
            return (
              <span key={index} className="draft-line">
                <Pieces pieces={block.pieces} citations={citations} />
              </span>
            );
          case "heading":
            // A heading inside a reply is emphasis, not a landmark of the console's page.
            return (
              <p key={index} className="draft-heading">
                <strong>
                  <Pieces pieces={block.pieces} citations={citations} />
                </strong>
              </p>
            );
          case "list": {
            const items = block.items.map((item, at) => (
              <li key={at}>
                <Blocks blocks={item} citations={citations} />
              </li>
            ));
            return block.ordered ? (
              <ol key={index} start={block.start}>
                {items}
              </ol>
            ) : (
              <ul key={index}>{items}</ul>
            );
          }
          case "quote":
            return (
              <blockquote key={index}>
                <Blocks blocks={block.blocks} citations={citations} />
              </blockquote>
            );
          case "code":
            return (
              <pre key={index}>
                <code>{block.text}</code>
              </pre>
            );
          case "table":
            return (
              <table key={index} className="draft-table">
                <thead>
                  <tr>
                    {block.header.map((cell, at) => (
                      <th key={at}>
                        <Pieces pieces={cell} citations={citations} />
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {block.rows.map((row, at) => (
                    <tr key={at}>
                      {row.map((cell, column) => (
                        <td key={column}>
                          <Pieces pieces={cell} citations={citations} />
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            );
          case "rule":
            return <hr key={index} />;
        }
      })}
    </>
  );
}

/** The draft's Markdown rendered as React elements (see `draftBlocks`): never markup built from its text. */
export function DraftView({ text, citations, flags }: { text: string; citations: readonly Citation[]; flags: readonly Flag[] }) {
  const byMarker = new Map(citations.map((citation) => [citation.marker, citation]));
  return (
    <div className="draft-text draft-markdown">
      <Blocks blocks={draftBlocks(text, flags)} citations={byMarker} />
    </div>
  );
}

/** Every flag with its reason, under one line on what they add up to (unless the caller says it). */
export function FlagList({ flags, citations, summary = true }: { flags: readonly Flag[]; citations: readonly Citation[]; summary?: boolean }) {
  const said = flagSummary(citations, flags);
  return (
    <>
      {summary && <p className={`hint flag-summary${said.good ? " good-text" : ""}`}>{said.text}</p>}
      {flags.length > 0 && (
        <ul className="flag-list" aria-label="What to check before sending">
          {flags.map((flag, index) => (
            <li key={index} className={`flag-item flag-${flag.kind}`}>
              <span className="badge warn">{flag.kind.replace(/_/g, " ")}</span> {flag.reason || flagLabel(flag.kind)}
              {flag.text ? (
                <>
                  : <q className="flag-text">{flag.text}</q>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </>
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
