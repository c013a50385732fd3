// A draft as pieces to render: plain text, citation markers, and the spans the grounding check flagged.
import type { Flag } from "./api";

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

export const FLAG_LABELS: Record<Flag["kind"], string> = {
  unsupported: "Not backed by the cited passage: check it before sending",
  unknown_link: "This link is in no retrieved document",
  unknown_email: "This address is in no retrieved document",
  removed_marker: "A citation marker that named no passage was taken out",
  removed_instruction: "A sentence written to an AI model, not to the customer, was taken out",
  removed_link: "A link or image from neither the company's domains nor the documents was taken out",
  removed_contact: "An address or phone number from no document, or another customer's, was taken out",
  internal_text: "A sentence repeating an internal document or note was taken out",
  planted_instruction: "A retrieved passage holds text written to an AI model; it was kept out of the draft",
  internal_source: "An internal document informed this draft (see the note); it is not quoted",
};

const IN_TEXT: ReadonlySet<string> = new Set(["unsupported", "unknown_link", "unknown_email"]);

export function flagLabel(kind: string): string {
  return (FLAG_LABELS as Record<string, string>)[kind] ?? kind.replace(/_/g, " ");
}

/** Flags that point at text in the draft (what was taken out, or found in a passage, is not in it). */
export function inTextFlags(flags: readonly Flag[]): Flag[] {
  return flags.filter((flag) => IN_TEXT.has(flag.kind));
}
