import { describe, expect, it } from "vitest";
import { draftBlocks, draftMeta, draftPieces, flaggedSentences, flagLabel, flagRanges, flagSummary, inTextFlags, plainText, type Inline } from "./draft";

describe("draft pieces", () => {
  it("cuts markers out of the text", () => {
    expect(draftPieces("Refunds take 5 days [1]. Ask us [2].", [])).toEqual([
      { kind: "text", text: "Refunds take 5 days " },
      { kind: "marker", marker: 1, text: "[1]" },
      { kind: "text", text: ". Ask us " },
      { kind: "marker", marker: 2, text: "[2]" },
      { kind: "text", text: "." },
    ]);
  });

  it("wraps a flagged sentence, keeping the markers inside it", () => {
    const pieces = draftPieces("Hello. Refunds are instant [1]. Bye.", [{ kind: "unsupported", text: "Refunds are instant [1].", marker: 1, reason: "" }]);
    expect(pieces[0]).toEqual({ kind: "text", text: "Hello. " });
    expect(pieces[1]).toMatchObject({ kind: "flag", flag: "unsupported", text: "Refunds are instant [1]." });
    expect((pieces[1] as { pieces: unknown[] }).pieces).toContainEqual({ kind: "marker", marker: 1, text: "[1]" });
    expect(pieces[2]).toEqual({ kind: "text", text: " Bye." });
  });

  it("marks every occurrence of an unknown link once, and drops overlaps and empty flags", () => {
    const text = "See http://x.example and again http://x.example";
    const ranges = flagRanges(text, [
      { kind: "unknown_link", text: "http://x.example", marker: null, reason: "" },
      { kind: "unknown_link", text: "http://x.example", marker: null, reason: "" },
      { kind: "unsupported", text: "x.example and", marker: 1, reason: "" },
      { kind: "unsupported", text: "  ", marker: 1, reason: "" },
    ]);
    expect(ranges.map((r) => [r.start, r.flag])).toEqual([
      [4, "unknown_link"],
      [31, "unknown_link"],
    ]);
  });

  it("loses no text whatever the flags", () => {
    const text = "A [1] b [2] c http://q.example d [3].";
    const flat = (pieces: ReturnType<typeof draftPieces>): string =>
      pieces.map((p) => (p.kind === "flag" ? flat(p.pieces) : p.text)).join("");
    expect(flat(draftPieces(text, [{ kind: "unknown_link", text: "http://q.example", marker: null, reason: "" }, { kind: "unsupported", text: "b [2] c", marker: 2, reason: "" }]))).toBe(text);
  });
});

describe("flags of what was taken out", () => {
  it("are listed, not looked for in the text", () => {
    const flags = [
      { kind: "removed_link" as const, text: "https://evil.example", marker: null, reason: "" },
      { kind: "planted_instruction" as const, text: "SYSTEM: reveal", marker: 1, reason: "" },
      { kind: "unsupported" as const, text: "Refunds are instant [1].", marker: 1, reason: "" },
    ];
    expect(inTextFlags(flags).map((flag) => flag.kind)).toEqual(["unsupported"]);
    expect(inTextFlags([{ kind: "uncited_claim", text: "x", marker: null, reason: "" }, { kind: "contradicted", text: "y", marker: 1, reason: "" }])).toHaveLength(2);
    expect(flagLabel("removed_instruction")).toMatch(/written to an AI model/);
  });
});

describe("a draft's Markdown", () => {
  // The same cases as the server's tests/assist/test_claims.py::test_markdown_plain_reads_as_the_console_inserts.
  it("is plain text in the reply box, as the server reads it", () => {
    expect(plainText("A monthly charge is refundable **in full within 14 days of the charge** [1].")).toBe(
      "A monthly charge is refundable in full within 14 days of the charge [1].",
    );
    expect(plainText("## Refunds\n\n* one\n+ two\n1. three\n> quoted")).toBe("Refunds\n\n- one\n- two\n1. three\nquoted");
    expect(plainText("See [the policy](https://x.example/a) or [https://y.example](https://y.example), *very* _nice_ snake_case `code` 2 * 3 * 4 and \\*not\\*.")).toBe(
      "See the policy (https://x.example/a) or https://y.example, very nice snake_case code 2 * 3 * 4 and *not*.",
    );
    expect(plainText("Settings > Billing > Invoices [1]. Price: 11 × 100 EUR = **1,100 EUR**.")).toBe("Settings > Billing > Invoices [1]. Price: 11 × 100 EUR = 1,100 EUR.");
    expect(plainText("Kind regards,\nCustomer Support")).toBe("Kind regards,\nCustomer Support");
  });

  it("becomes blocks of styled text, markers and flagged spans, with no mark left", () => {
    const text = "Hi Dana,\n\nMonthly charges are refundable **in full within 14 days** [1].\n\n- Open [Settings](https://app.example/settings) [2].\n- Select *Request refund*.\n\nKind regards,\nSupport";
    const blocks = draftBlocks(text, [{ kind: "contradicted", text: "Monthly charges are refundable **in full within 14 days** [1].", marker: 1, reason: "" }]);
    expect(blocks.map((block) => block.kind)).toEqual(["paragraph", "paragraph", "list", "paragraph"]);
    const [flag] = (blocks[1] as { pieces: Inline[] }).pieces;
    expect(flag).toMatchObject({ kind: "flag", flag: "contradicted" });
    const inside = (flag as { pieces: Inline[] }).pieces;
    expect(inside).toContainEqual({ kind: "text", text: "in full within 14 days", style: { strong: true } });
    expect(inside).toContainEqual({ kind: "marker", marker: 1, text: "[1]" });
    const list = blocks[2] as { kind: "list"; items: { pieces: Inline[] }[][] };
    const first = list.items[0][0].pieces;
    expect(first).toContainEqual({ kind: "text", text: "Settings", style: { link: true } });
    expect(first).toContainEqual({ kind: "text", text: " (https://app.example/settings)", style: {} });
    expect(first).toContainEqual({ kind: "marker", marker: 2, text: "[2]" });
    const flat = JSON.stringify(blocks);
    expect(flat).not.toContain("**");
  });
});

describe("what the panel says", () => {
  const citation = { marker: 1, document_id: 4, version_id: 40, chunk_id: 400, title: "Refunds", heading: "", quote: "" };
  const uncited = { kind: "uncited_claim" as const, text: "We add a free month.", marker: null, reason: "No source." };
  const contradicted = { kind: "contradicted" as const, text: "Refunds take 30 days [1].", marker: 1, reason: "Says 30 days." };

  it("says every sentence is backed only when the draft cites and nothing is flagged", () => {
    expect(flagSummary([citation], [])).toEqual({ text: "Every sentence is backed by its citation.", good: true });
    expect(flagSummary([], []).good).toBe(false);
    expect(flagSummary([citation], [uncited, contradicted])).toEqual({ text: "2 sentences need a check.", good: false });
    expect(flagSummary([citation], [uncited, { ...uncited, reason: "again" }]).text).toBe("1 sentence needs a check.");
    expect(flagSummary([citation], [{ kind: "removed_link", text: "https://x", marker: null, reason: "" }]).good).toBe(false);
    expect(flaggedSentences([uncited, contradicted, { kind: "removed_link", text: "x", marker: null, reason: "" }])).toEqual([uncited.text, contradicted.text]);
  });

  it("says what made a draft in words an agent can use, with the ids in the tooltip", () => {
    const citations = [citation, { ...citation, marker: 2 }, { ...citation, marker: 3, document_id: 5 }];
    const quoted = draftMeta({ backend: "extractive", model: "extractive", adapter: "", citations, timings: { total: 76.4 }, vector_search: "used" });
    expect(quoted.text).toBe("Quoted from 2 policy documents · 76 ms");
    expect(quoted.title).toContain("backend extractive");
    expect(quoted.precedent).toBeNull();
    const written = draftMeta({ backend: "local", model: "Qwen2.5-0.5B", adapter: "support-v3", citations: [citation], timings: { total: 1234 }, vector_search: "unavailable" });
    expect(written.text).toBe("Written by Qwen2.5-0.5B (adapter support-v3) · cites 1 policy document · 1.2 s · found by keywords only");
    expect(written.title).toBe("backend local · model Qwen2.5-0.5B · adapter support-v3 · vector search unavailable");
    const based = draftMeta({
      backend: "extractive", model: "extractive", adapter: "", citations: [], timings: {}, vector_search: "used",
      precedents: [{ ticket_id: 7, similarity: 0.5, used: false }, { ticket_id: 123, similarity: 0.912, used: true }],
    });
    expect(based.precedent).toEqual({ ticket: 123, similarity: 0.912 });
    expect(based.text).toBe("Quoted from no policy document");
  });
});
