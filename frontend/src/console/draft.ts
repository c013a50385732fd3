// A draft as pieces to render: plain text, citation markers, and the spans the grounding check flagged; its
// Markdown as blocks (paragraphs, lists, headings) of such pieces; and the words the panel says about it.
import { Lexer, type Token, type Tokens } from "marked";
import type { Citation, Flag, Suggestion } from "./api";

export type Piece =
  | { kind: "text"; text: string }
  | { kind: "marker"; marker: number; text: string }
  | { kind: "flag"; flag: Flag["kind"]; text: string; pieces: Piece[] };

const MARKER = /\[(\d{1,3})\]/g;

function markers(text: string): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const match of text.matchAll(MARKER)) {
    if (match.index > at) pieces.push({ kind: "text", text: text.slice(at, match.index) });
    pieces.push({ kind: "marker", marker: Number(match[1]), text: match[0] });
    at = match.index + match[0].length;
  }
  if (at < text.length) pieces.push({ kind: "text", text: text.slice(at) });
  return pieces;
}

type Range = { start: number; end: number; flag: Flag["kind"] };

/** Where each flag's text occurs (every occurrence), earliest first, overlaps dropped. */
export function flagRanges(text: string, flags: readonly Flag[]): Range[] {
  const ranges: Range[] = [];
  const seen = new Set<string>();
  for (const flag of flags) {
    const needle = flag.text.trim();
    const key = `${flag.kind}\u0000${needle}`;
    if (!needle || seen.has(key)) continue;
    seen.add(key);
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
      ranges.push({ start: at, end: at + needle.length, flag: flag.kind });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Range[] = [];
  for (const range of ranges) {
    if (!kept.length || range.start >= kept[kept.length - 1].end) kept.push(range);
  }
  return kept;
}

/** The text cut into pieces: flagged spans (with the markers inside them) and markers between. */
export function draftPieces(text: string, flags: readonly Flag[]): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const range of flagRanges(text, flags)) {
    if (range.start > at) pieces.push(...markers(text.slice(at, range.start)));
    const inner = text.slice(range.start, range.end);
    pieces.push({ kind: "flag", flag: range.flag, text: inner, pieces: markers(inner) });
    at = range.end;
  }
  if (at < text.length) pieces.push(...markers(text.slice(at)));
  return pieces;
}

// A variable first, then typed: every kind the schema names needs a label, and a label for a kind this
// schema does not name yet ("other_language", from the language work) is no error.
const LABELS = {
  unsupported: "Not backed by the cited passage: check it before sending",
  uncited_claim: "States a fact that no document, similar ticket or customer record backs: check it before sending",
  contradicted: "Says something the cited policy contradicts: check it before sending",
  unknown_link: "This link is in no retrieved document",
  unknown_email: "This address is in no retrieved document",
  removed_marker: "A citation marker that named no passage was taken out",
  removed_instruction: "A sentence written to an AI model, not to the customer, was taken out",
  removed_link: "A link or image from neither the company's domains nor the documents was taken out",
  removed_contact: "An address or phone number from no document, or another customer's, was taken out",
  internal_text: "A sentence repeating an internal document or note was taken out",
  planted_instruction: "A retrieved passage holds text written to an AI model; it was kept out of the draft",
  internal_source: "An internal document informed this draft (see the note); it is not quoted",
  other_language: "The answer comes from documents in another language than the customer writes",
};
export const FLAG_LABELS: Record<Flag["kind"], string> & Record<string, string> = LABELS;

const IN_TEXT: ReadonlySet<string> = new Set(["unsupported", "uncited_claim", "contradicted", "unknown_link", "unknown_email"]);
/** The flags about what a sentence claims: the ones sending asks the agent to confirm. */
export const CLAIM_FLAGS: ReadonlySet<string> = new Set(["unsupported", "uncited_claim", "contradicted"]);

export function flagLabel(kind: string): string {
  return (FLAG_LABELS as Record<string, string>)[kind] ?? kind.replace(/_/g, " ");
}

/** Flags that point at text in the draft (what was taken out, or found in a passage, is not in it). */
export function inTextFlags(flags: readonly Flag[]): Flag[] {
  return flags.filter((flag) => IN_TEXT.has(flag.kind));
}

// --- Markdown -----------------------------------------------------------------------------------------------

// The twin of the server's `grounding.markdown_plain`: both must read a reply alike, since the server compares
// what was sent with the draft through it.
const FULL_LINK = /!?\[([^\]\n]*)\]\(\s*([^)\s]*)(?:\s+"[^"\n]*")?\s*\)/g;
const CODE = /`([^`\n]+)`/g;
const STRONG = /(\*\*|__)(?=\S)([\s\S]+?)(?<=\S)\1/g;
const EMPHASIS = /(?<![\p{L}\p{N}_*\\])([*_])(?=[^\s*_])(.+?)(?<=[^\s\\])\1(?![\p{L}\p{N}_*])/gu;
const HEADING = /^[ \t]{0,3}#{1,6}[ \t]+/gm;
const BULLET = /^([ \t]*)[*+][ \t]+/gm;
const QUOTE = /^[ \t]{0,3}>[ \t]?/gm;
const ESCAPE = /\\([\\`*_{}[\]()#+\-.!>])/g;

/** A Markdown reply as plain text, as it goes into the reply box: emphasis and code marks out, a link as its
 * text with the address after it, headings without their #, "*" and "+" bullets as "-", quote marks out.
 * Lines, paragraphs, numbered steps and citation markers stay as they are. */
export function plainText(text: string): string {
  if (!/[*_`#[>+\\]/.test(text)) return text;
  return text
    .replace(FULL_LINK, (_m, label: string, url: string) => {
      const shown = label.trim();
      if (!shown || shown === url) return url;
      return url ? `${shown} (${url})` : shown;
    })
    .replace(CODE, "$1")
    .replace(BULLET, "$1- ")
    .replace(STRONG, "$2")
    .replace(EMPHASIS, "$2")
    .replace(HEADING, "")
    .replace(QUOTE, "")
    .replace(ESCAPE, "$1");
}

export type Style = { strong?: boolean; em?: boolean; code?: boolean; del?: boolean; link?: boolean };

/** Inline content: styled text, citation markers, and flagged spans holding either. */
export type Inline =
  | { kind: "text"; text: string; style: Style }
  | { kind: "marker"; marker: number; text: string }
  | { kind: "flag"; flag: Flag["kind"]; text: string; pieces: Inline[] };

export type Block =
  | { kind: "paragraph"; pieces: Inline[] }
  | { kind: "line"; pieces: Inline[] }
  | { kind: "heading"; depth: number; pieces: Inline[] }
  | { kind: "list"; ordered: boolean; start: number; items: Block[][] }
  | { kind: "quote"; blocks: Block[] }
  | { kind: "code"; text: string }
  | { kind: "table"; header: Inline[][]; rows: Inline[][][] }
  | { kind: "rule" };

type Segment = { text: string; style: Style };

/** Inline tokens as runs of styled text. Links are text with their address after them (a draft's links are
 * for the agent to read, not to follow from here); raw HTML is shown as the text it is. */
function segments(tokens: readonly Token[] | undefined, style: Style = {}): Segment[] {
  const out: Segment[] = [];
  for (const token of tokens ?? []) {
    switch (token.type) {
      case "strong":
      case "em":
      case "del":
        out.push(...segments((token as Tokens.Strong).tokens, { ...style, [token.type]: true }));
        break;
      case "codespan":
        out.push({ text: (token as Tokens.Codespan).text, style: { ...style, code: true } });
        break;
      case "br":
        out.push({ text: "\n", style });
        break;
      case "link":
      case "image": {
        const link = token as Tokens.Link | Tokens.Image;
        const label = token.type === "link" ? segments((link as Tokens.Link).tokens, { ...style, link: true }) : [{ text: link.text, style: { ...style, link: true } }];
        const shown = label.map((s) => s.text).join("").trim();
        if (!shown || shown === link.href) out.push({ text: link.href, style: { ...style, link: true } });
        else out.push(...label, ...(link.href ? [{ text: ` (${link.href})`, style }] : []));
        break;
      }
      case "text":
        if ("tokens" in token && token.tokens?.length) out.push(...segments(token.tokens, style));
        else out.push({ text: (token as Tokens.Text).text, style });
        break;
      default:
        // escape, html, and anything else: its text as written.
        out.push({ text: "text" in token && typeof token.text === "string" ? token.text : token.raw, style });
    }
  }
  return out;
}

/** The text of `segments` from `start` to `end`, cut into styled text and citation markers. */
function inlineOf(runs: readonly Segment[], start: number, end: number): Inline[] {
  const out: Inline[] = [];
  let at = 0;
  for (const run of runs) {
    const from = Math.max(start, at);
    const to = Math.min(end, at + run.text.length);
    if (from < to) {
      const text = run.text.slice(from - at, to - at);
      for (const piece of markers(text)) out.push(piece.kind === "marker" ? piece : { kind: "text", text: piece.text, style: run.style });
    }
    at += run.text.length;
  }
  return out;
}

const BLOCK_MARK = /^\s*(?:[-*+•>]|\d{1,3}[.)]|#{1,6})\s+/;

/** A flag's text as it reads once rendered: no Markdown marks, no list bullet or heading mark before it. */
function rendered(flag: Flag): Flag {
  return { ...flag, text: plainText(flag.text).replace(BLOCK_MARK, "").trim() };
}

function inline(tokens: readonly Token[] | undefined, flags: readonly Flag[]): Inline[] {
  const runs = segments(tokens);
  const text = runs.map((run) => run.text).join("");
  const out: Inline[] = [];
  let at = 0;
  for (const range of flagRanges(text, flags)) {
    if (range.start > at) out.push(...inlineOf(runs, at, range.start));
    out.push({ kind: "flag", flag: range.flag, text: text.slice(range.start, range.end), pieces: inlineOf(runs, range.start, range.end) });
    at = range.end;
  }
  if (at < text.length) out.push(...inlineOf(runs, at, text.length));
  return out;
}

function blocks(tokens: readonly Token[], flags: readonly Flag[], tight = false): Block[] {
  const out: Block[] = [];
  for (const token of tokens) {
    switch (token.type) {
      case "space":
        break;
      case "paragraph":
        out.push({ kind: tight ? "line" : "paragraph", pieces: inline((token as Tokens.Paragraph).tokens, flags) });
        break;
      case "text": {
        const text = token as Tokens.Text;
        out.push({ kind: "line", pieces: inline(text.tokens ?? [{ type: "text", raw: text.raw, text: text.text }], flags) });
        break;
      }
      case "heading":
        out.push({ kind: "heading", depth: (token as Tokens.Heading).depth, pieces: inline((token as Tokens.Heading).tokens, flags) });
        break;
      case "list": {
        const list = token as Tokens.List;
        out.push({
          kind: "list",
          ordered: list.ordered,
          start: typeof list.start === "number" ? list.start : 1,
          items: list.items.map((item) => blocks(item.tokens, flags, !item.loose)),
        });
        break;
      }
      case "blockquote":
        out.push({ kind: "quote", blocks: blocks((token as Tokens.Blockquote).tokens, flags) });
        break;
      case "code":
        out.push({ kind: "code", text: (token as Tokens.Code).text });
        break;
      case "table": {
        const table = token as Tokens.Table;
        out.push({
          kind: "table",
          header: table.header.map((cell) => inline(cell.tokens, flags)),
          rows: table.rows.map((row) => row.map((cell) => inline(cell.tokens, flags))),
        });
        break;
      }
      case "hr":
        out.push({ kind: "rule" });
        break;
      default:
        // Raw HTML and anything else: shown as the text it is, never as markup.
        out.push({ kind: "paragraph", pieces: [{ kind: "text", text: token.raw.trim(), style: {} }] });
    }
  }
  return out;
}

/** A draft's Markdown as blocks to render (`DraftView`), each holding its text, its citation markers and the
 * spans the flags point at. Parsed by the same Markdown library as the knowledge pages, into values, not
 * HTML: nothing of the draft's text is ever handed to the browser as markup. */
export function draftBlocks(text: string, flags: readonly Flag[]): Block[] {
  const lexer = new Lexer({ gfm: true, breaks: true });
  return blocks(lexer.lex(text), inTextFlags(flags).map(rendered));
}

// --- What the panel says about a draft -------------------------------------------------------------------

/** The sentences the claim flags point at, each once. */
export function flaggedSentences(flags: readonly Flag[]): string[] {
  return [...new Set(flags.filter((flag) => CLAIM_FLAGS.has(flag.kind)).map((flag) => flag.text.trim()))];
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** One line on what the checks found: "Every sentence is backed by its citation" only when that is so (the
 * draft cites, and nothing is flagged); otherwise what is true. */
export function flagSummary(citations: readonly Citation[], flags: readonly Flag[]): { text: string; good: boolean } {
  const sentences = flaggedSentences(flags).length;
  if (sentences) return { text: `${plural(sentences, "sentence needs", "sentences need")} a check.`, good: false };
  if (flags.length) return { text: "No sentence needs a check; see the notes below.", good: false };
  if (!citations.length) return { text: "This draft cites no document: check what it says before sending.", good: false };
  return { text: "Every sentence is backed by its citation.", good: true };
}

function duration(milliseconds: number): string {
  return milliseconds < 1000 ? `${Math.round(milliseconds)} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}

export type DraftMeta = {
  /** What made the draft, in words an agent can use. */
  text: string;
  /** The backend, model and adapter ids, for a tooltip. */
  title: string;
  /** The solved ticket the draft was composed from, if it was. */
  precedent: { ticket: number; similarity: number } | null;
};

type MetaSource = Pick<Suggestion, "backend" | "model" | "adapter" | "citations" | "timings" | "vector_search"> & {
  precedents?: Suggestion["precedents"];
};

/** The line under a draft: "Quoted from 2 policy documents · 76 ms" (the extractive backend), "Written by
 * <model> (adapter <name>) · 1.2 s" (a model), and the precedent it was based on. */
export function draftMeta(suggestion: MetaSource): DraftMeta {
  const documents = new Set(suggestion.citations.map((citation) => citation.document_id)).size;
  const parts: string[] = [];
  if (suggestion.backend === "extractive") {
    parts.push(documents ? `Quoted from ${plural(documents, "policy document", "policy documents")}` : "Quoted from no policy document");
  } else {
    const model = suggestion.model || suggestion.backend || "a model";
    parts.push(`Written by ${model}${suggestion.adapter ? ` (adapter ${suggestion.adapter})` : ""}`);
    if (documents) parts.push(`cites ${plural(documents, "policy document", "policy documents")}`);
  }
  const total = suggestion.timings?.total;
  if (total) parts.push(duration(total));
  if (suggestion.vector_search && suggestion.vector_search !== "used") parts.push("found by keywords only");
  const used = suggestion.precedents?.find((precedent) => precedent.used && precedent.ticket_id);
  return {
    text: parts.join(" · "),
    title: [`backend ${suggestion.backend}`, suggestion.model && `model ${suggestion.model}`, suggestion.adapter && `adapter ${suggestion.adapter}`, suggestion.vector_search && `vector search ${suggestion.vector_search}`]
      .filter(Boolean)
      .join(" · "),
    precedent: used ? { ticket: used.ticket_id as number, similarity: used.similarity ?? 0 } : null,
  };
}
