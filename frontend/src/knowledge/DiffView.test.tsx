import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { computeDiff, DiffView } from "./DiffView";

describe("diff", () => {
  it("finds word changes, and line changes", () => {
    const words = computeDiff("Refunds within 14 days.", "Refunds within 30 days.", "words");
    expect(words.mode).toBe("words");
    expect(words.changes.filter((c) => c.added).map((c) => c.value)).toEqual(["30"]);
    expect(words.changes.filter((c) => c.removed).map((c) => c.value)).toEqual(["14"]);
    const lines = computeDiff("a\nb\nc\n", "a\nB\nc\n", "lines");
    expect(lines.changes.map((c) => [c.added, c.removed, c.value])).toEqual([
      [false, false, "a\n"],
      [false, true, "b\n"],
      [true, false, "B\n"],
      [false, false, "c\n"],
    ]);
  });

  it("says when two texts are the same", () => {
    render(<DiffView before="Same." after="Same." mode="words" label="Changes" />);
    expect(screen.getByText("No differences.")).toBeInTheDocument();
  });

  it("folds long unchanged stretches in the line view, and unfolds them on request", async () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const after = before.replace("line 15", "line fifteen");
    render(<DiffView before={before} after={after} mode="lines" label="Changes" />);
    expect(screen.queryByText("line 2")).not.toBeInTheDocument();
    expect(screen.getByText("line 12")).toBeInTheDocument();
    await userEvent.click(screen.getAllByRole("button", { name: /Show \d+ unchanged lines/ })[0]);
    expect(screen.getByText("line 2")).toBeInTheDocument();
    expect(screen.getByRole("figure", { name: "Changes" }).querySelector("ins")).toHaveTextContent("Added line: line fifteen");
  });
});
