import { describe, expect, it } from "vitest";
import { draftPieces, flagLabel, flagRanges, inTextFlags } from "./draft";

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
    expect(flagLabel("removed_instruction")).toMatch(/written to an AI model/);
  });
});
