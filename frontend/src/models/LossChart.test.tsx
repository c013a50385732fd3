import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { describeCurve, LossChart, lossPoints, niceTicks } from "./LossChart";

function polylinePoints(svg: Element): string[] {
  return (svg.querySelector("polyline")?.getAttribute("points") ?? "").split(" ").filter(Boolean);
}

describe("the loss chart", () => {
  it("draws every recorded step with both axes and the first, lowest and final values labelled", () => {
    const losses = [
      [1, 3.5],
      [2, 2.75],
      [3, 2.1],
      [4, 2.25],
    ];
    render(<LossChart runId={7} losses={losses} />);
    const svg = screen.getByRole("img", { name: "Loss curve of run 7" });
    expect(polylinePoints(svg)).toHaveLength(4);
    expect(svg.querySelectorAll("circle.dot")).toHaveLength(4);
    expect(svg).toHaveTextContent("Loss");
    expect(svg).toHaveTextContent("Step");
    expect(svg).toHaveTextContent("3.5000");
    expect(svg).toHaveTextContent("min 2.1000");
    expect(svg).toHaveTextContent("final 2.2500");
    // Axis ticks are round numbers covering the data.
    const ticks = [...svg.querySelectorAll(".y-axis text")].map((t) => t.textContent);
    expect(ticks).toContain("2");
    expect(svg).toHaveAccessibleDescription(
      "Loss went from 3.5000 at step 1 to 2.2500 at step 4; lowest 2.1000 at step 3. 4 steps recorded.",
    );
  });

  it("says it is waiting while a live run has no loss yet", () => {
    render(<LossChart runId={8} losses={[]} live />);
    const svg = screen.getByRole("img", { name: "Loss curve of run 8" });
    expect(svg.querySelector("polyline")).toBeNull();
    expect(svg).toHaveTextContent("Waiting for the first step…");
  });

  it("labels the latest value as such while the run goes on, and draws long curves without dots", () => {
    const losses = Array.from({ length: 500 }, (_, i) => [i + 1, 5 / (i + 1) + 1]);
    render(<LossChart runId={9} losses={losses} live />);
    const svg = screen.getByRole("img", { name: "Loss curve of run 9" });
    expect(polylinePoints(svg)).toHaveLength(500);
    expect(svg.querySelectorAll("circle.dot")).toHaveLength(0);
    expect(svg).toHaveTextContent("now 1.0100");
  });

  it("draws a very long curve from a sample, keeping the lowest and the last step", () => {
    const losses = Array.from({ length: 120_000 }, (_, i) => [i + 1, i === 70_001 ? 0.5 : 2 + Math.sin(i)]);
    render(<LossChart runId={10} losses={losses} />);
    const svg = screen.getByRole("img", { name: "Loss curve of run 10" });
    expect(polylinePoints(svg).length).toBeLessThanOrEqual(1502);
    expect(svg).toHaveTextContent("min 0.5000");
    expect(svg).toHaveAccessibleDescription(/lowest 0.5000 at step 70002. 120000 steps recorded./);
  });

  it("keeps only well-formed [step, loss] pairs, in step order", () => {
    expect(lossPoints([[2, 1.5], [1, 2], "x", [3], [4, null], [5, Number.NaN]])).toEqual([
      { step: 1, loss: 2 },
      { step: 2, loss: 1.5 },
    ]);
    expect(lossPoints(null)).toEqual([]);
    expect(describeCurve([])).toBe("No loss has been recorded yet.");
  });

  it("picks round ticks", () => {
    expect(niceTicks(0.23, 3.47, 4)).toEqual([0, 1, 2, 3, 4]);
    expect(niceTicks(1, 40, 6, true)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(1, 1, 6, true)).toEqual([0, 1, 2]);
    expect(niceTicks(2.5, 2.5, 4)).toEqual([2.2, 2.4, 2.6, 2.8]);
  });
});
