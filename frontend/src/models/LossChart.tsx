// The loss curve of a training run: an SVG line chart with both axes, grid lines, and the first, lowest and
// latest values written next to their points. A sentence under it says the same for screen readers.
import { useId } from "react";
import { formatScore, formatTick } from "./format";

export type LossPoint = { step: number; loss: number };

const WIDTH = 640;
const HEIGHT = 260;
const MARGIN = { top: 18, right: 84, bottom: 42, left: 56 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
/** Up to this many points each get a dot; more make a plain line. */
const DOTS_UP_TO = 60;
/** A curve of more steps is drawn from a sample of this many (the summary still covers every step). */
const DRAW_AT_MOST = 1500;

/** The [step, loss] pairs the API stores, keeping only well-formed ones, in step order. */
export function lossPoints(losses: unknown): LossPoint[] {
  if (!Array.isArray(losses)) return [];
  const points: LossPoint[] = [];
  for (const pair of losses) {
    if (!Array.isArray(pair) || pair.length < 2) continue;
    const [step, loss] = pair;
    if (typeof step === "number" && typeof loss === "number" && Number.isFinite(step) && Number.isFinite(loss)) {
      points.push({ step, loss });
    }
  }
  return points.sort((a, b) => a.step - b.step);
}

/** Round tick values covering [min, max]: about `count` steps of 1, 2, 2.5 or 5 times a power of ten. */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = integer ? 1 : Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  let unit = [1, 2, 2.5, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw) ?? raw;
  if (integer) unit = Math.max(1, Math.round(unit));
  const start = Math.floor(min / unit) * unit;
  const end = Math.ceil(max / unit) * unit;
  const ticks: number[] = [];
  for (let i = 0; start + i * unit <= end + unit / 1e6; i++) ticks.push(Number((start + i * unit).toPrecision(12)));
  return ticks;
}

/** Lowest and highest loss (a loop: a long run has too many steps to spread into Math.min). */
function extent(points: LossPoint[]): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (const { loss } of points) {
    if (loss < low) low = loss;
    if (loss > high) high = loss;
  }
  return [low, high];
}

/** At most about `limit` points to draw: every n-th one, keeping the last and the lowest. */
export function thinned(points: LossPoint[], limit = DRAW_AT_MOST): LossPoint[] {
  if (points.length <= limit) return points;
  const every = Math.ceil(points.length / limit);
  const min = lowest(points);
  return points.filter((point, index) => index % every === 0 || point === min || index === points.length - 1);
}

function lowest(points: LossPoint[]): LossPoint {
  return points.reduce((best, point) => (point.loss < best.loss ? point : best), points[0]);
}

/** What the chart shows, in words. */
export function describeCurve(points: LossPoint[]): string {
  if (points.length === 0) return "No loss has been recorded yet.";
  const first = points[0];
  const last = points[points.length - 1];
  const min = lowest(points);
  if (points.length === 1) return `One step recorded: loss ${formatScore(first.loss)} at step ${first.step}.`;
  return (
    `Loss went from ${formatScore(first.loss)} at step ${first.step} to ${formatScore(last.loss)} at step ` +
    `${last.step}; lowest ${formatScore(min.loss)} at step ${min.step}. ${points.length} steps recorded.`
  );
}

export function LossChart({ runId, losses, live = false }: { runId: number; losses: unknown; live?: boolean }) {
  const summaryId = useId();
  const points = lossPoints(losses);
  const xTicks = points.length ? niceTicks(points[0].step, points[points.length - 1].step, 6, true) : niceTicks(0, 10, 5, true);
  const [low, high] = extent(points);
  // Room under the lowest point for its label.
  const yTicks = points.length ? niceTicks(low - (high - low) * 0.12, high, 5) : niceTicks(0, 1, 4);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const x = (step: number) => MARGIN.left + ((step - x0) / (x1 - x0 || 1)) * PLOT_W;
  const y = (loss: number) => MARGIN.top + PLOT_H - ((loss - y0) / (y1 - y0 || 1)) * PLOT_H;

  const first = points[0];
  const last = points[points.length - 1];
  const min = points.length ? lowest(points) : undefined;
  const labelled: { point: LossPoint; text: string; dx: number; dy: number; anchor: "start" | "middle" | "end"; kind: string }[] = [];
  if (last) labelled.push({ point: last, text: `${live ? "now" : "final"} ${formatScore(last.loss)}`, dx: 8, dy: 4, anchor: "start", kind: "last" });
  if (first && first !== last) labelled.push({ point: first, text: formatScore(first.loss), dx: 6, dy: -8, anchor: "start", kind: "first" });
  if (min && min !== last && min !== first) labelled.push({ point: min, text: `min ${formatScore(min.loss)}`, dx: 0, dy: 18, anchor: "middle", kind: "min" });

  return (
    <figure className="loss-chart">
      <svg
        role="img"
        aria-label={`Loss curve of run ${runId}`}
        aria-describedby={summaryId}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="loss-chart-svg"
      >
        <g className="grid" aria-hidden="true">
          {yTicks.map((tick) => (
            <line key={`y${tick}`} x1={MARGIN.left} x2={MARGIN.left + PLOT_W} y1={y(tick)} y2={y(tick)} />
          ))}
        </g>
        <g className="axis y-axis">
          <line x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={MARGIN.top + PLOT_H} />
          {yTicks.map((tick) => (
            <text key={tick} x={MARGIN.left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
              {formatTick(tick)}
            </text>
          ))}
          <text className="axis-title" transform={`translate(14 ${MARGIN.top + PLOT_H / 2}) rotate(-90)`} textAnchor="middle">
            Loss
          </text>
        </g>
        <g className="axis x-axis">
          <line x1={MARGIN.left} x2={MARGIN.left + PLOT_W} y1={MARGIN.top + PLOT_H} y2={MARGIN.top + PLOT_H} />
          {xTicks.map((tick) => (
            <g key={tick}>
              <line x1={x(tick)} x2={x(tick)} y1={MARGIN.top + PLOT_H} y2={MARGIN.top + PLOT_H + 5} />
              <text x={x(tick)} y={MARGIN.top + PLOT_H + 18} textAnchor="middle">
                {formatTick(tick)}
              </text>
            </g>
          ))}
          <text className="axis-title" x={MARGIN.left + PLOT_W / 2} y={HEIGHT - 4} textAnchor="middle">
            Step
          </text>
        </g>
        {points.length === 0 ? (
          <text className="chart-empty" x={MARGIN.left + PLOT_W / 2} y={MARGIN.top + PLOT_H / 2} textAnchor="middle">
            {live ? "Waiting for the first step…" : "No loss recorded"}
          </text>
        ) : (
          <g className="series">
            <polyline className="line" fill="none" points={thinned(points).map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(" ")} />
            {points.length <= DOTS_UP_TO &&
              points.map((p) => <circle key={p.step} className="dot" cx={x(p.step)} cy={y(p.loss)} r={2.5} />)}
            {labelled.map(({ point, text, dx, dy, anchor, kind }) => (
              <g key={kind} className={`label label-${kind}`}>
                <circle cx={x(point.step)} cy={y(point.loss)} r={4} />
                <text x={x(point.step) + dx} y={y(point.loss) + dy} textAnchor={anchor}>
                  {text}
                </text>
              </g>
            ))}
          </g>
        )}
      </svg>
      <figcaption id={summaryId} className="hint">
        {describeCurve(points)}
      </figcaption>
    </figure>
  );
}
