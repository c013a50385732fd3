// The evaluation matrix: every configuration (base, active, candidate x with/without retrieval, and the
// extractive backend) scored on the same held-out replies, the best of each column marked, and the decision
// taken on it with its reasons: the nightly cycle's, and each check of the promotion gate.
import { useId } from "react";
import { Empty, ErrorMessage, Loading, QueryState } from "../ui/status";
import { ActionBadge } from "./badges";
import { formatNumber, formatScore, formatWhen, humanize, shortHash, who } from "./format";
import { useEvaluation, useEvaluations, type Evaluation, type MatrixRow } from "./queries";

type Props = { selectedId: number | null; onSelect: (id: number) => void; headingId: string };

export function EvaluationMatrix({ selectedId, onSelect, headingId }: Props) {
  const selectId = useId();
  const list = useEvaluations();
  const listed = list.data?.results;
  const inList = selectedId === null ? listed?.[0] : listed?.find((evaluation) => evaluation.id === selectedId);
  const detail = useEvaluation(selectedId, listed !== undefined && !inList);
  const shown = inList ?? detail.data;
  const options = shown && listed && !listed.some((e) => e.id === shown.id) ? [shown, ...listed] : (listed ?? []);

  return (
    <section className="card models-section" aria-labelledby={headingId} id="evaluation-matrix">
      <div className="section-head">
        <h2 id={headingId} tabIndex={-1}>
          Evaluation matrix
        </h2>
        {options.length > 1 && (
          <label className="inline" htmlFor={selectId}>
            Evaluation
            <select id={selectId} value={shown?.id ?? ""} onChange={(e) => onSelect(Number(e.target.value))}>
              {options.map((evaluation) => (
                <option key={evaluation.id} value={evaluation.id}>
                  {evaluationLabel(evaluation)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <QueryState query={list} label="Loading evaluations…">
        {(data) =>
          data.results.length === 0 && selectedId === null ? (
            <Empty>
              <span>
                No evaluation yet — the nightly cycle evaluates each new candidate adapter (or run <code>manage.py finetune_cycle</code>),
                and <code>manage.py evaluate_adapter NAME</code> evaluates one by hand.
              </span>
            </Empty>
          ) : shown ? (
            <>
              <MatrixTable evaluation={shown} />
              <DecisionAndReasons evaluation={shown} />
            </>
          ) : detail.isError ? (
            <ErrorMessage error={detail.error} retry={() => void detail.refetch()} />
          ) : (
            <Loading label={`Loading evaluation ${selectedId}…`} />
          )
        }
      </QueryState>
    </section>
  );
}

function evaluationLabel(evaluation: Evaluation): string {
  return `Evaluation ${evaluation.id} · ${evaluation.candidate ?? "no candidate"} · ${formatWhen(evaluation.created_at)}`;
}

type Metric = { label: string; help: string };
const METRICS: Record<string, Metric> = {
  chrf: { label: "chrF", help: "Character n-gram F-score against the reply the agent sent: the primary metric." },
  rouge_l: { label: "ROUGE-L", help: "Longest common subsequence with the reply the agent sent." },
  semantic_similarity: { label: "Semantic similarity", help: "Cosine of the embedding model's vectors of draft and sent reply." },
  citation_validity: { label: "Citation validity", help: "Share of citations that point at a passage the prompt gave." },
  grounded_rate: { label: "Grounded sentences", help: "Share of the draft's sentences supported by a given passage." },
  style: { label: "House style", help: "Greeting, sign-off and length as the company writes them." },
};
const METRIC_ORDER = Object.keys(METRICS);
const MODEL_ORDER = ["base", "active", "candidate", "extractive"];
const PERPLEXITY = "perplexity";

export function systemName(row: MatrixRow): string {
  return `${row.model}, ${row.retrieval ? "with" : "without"} retrieval`;
}

function sortedRows(rows: MatrixRow[]): MatrixRow[] {
  const rank = (row: MatrixRow) => {
    const index = MODEL_ORDER.indexOf(row.model);
    return (index === -1 ? MODEL_ORDER.length : index) * 2 + (row.retrieval ? 0 : 1);
  };
  return [...rows].sort((a, b) => rank(a) - rank(b));
}

/** Every score the rows carry, known ones first in their usual order. */
export function metricColumns(rows: MatrixRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row.scores ?? {})) seen.add(key);
  const known = METRIC_ORDER.filter((key) => seen.has(key));
  const others = [...seen].filter((key) => !METRICS[key]).sort();
  return [...known, ...others];
}

function numeric(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The best value of a column (highest; lowest for perplexity), when at least two values can be compared. */
export function bestOf(values: (number | null)[], lowerIsBetter = false): number | null {
  const present = values.filter((value): value is number => value !== null);
  if (present.length < 2) return null;
  return lowerIsBetter ? Math.min(...present) : Math.max(...present);
}

function MatrixTable({ evaluation }: { evaluation: Evaluation }) {
  const rows = sortedRows(Array.isArray(evaluation.rows) ? evaluation.rows : []);
  const perplexity = evaluation.perplexity ?? {};
  const columns = metricColumns(rows);
  const hasPerplexity = Object.keys(perplexity).length > 0;
  const value = (row: MatrixRow, column: string) =>
    column === PERPLEXITY ? numeric(perplexity[row.model]) : numeric(row.scores?.[column]);
  const allColumns = hasPerplexity ? [...columns, PERPLEXITY] : columns;
  const best = Object.fromEntries(
    allColumns.map((column) => [column, bestOf(rows.map((row) => value(row, column)), column === PERPLEXITY)]),
  );
  const hasActive = rows.some((row) => row.model === "active");

  if (rows.length === 0) return <Empty>This evaluation holds no rows.</Empty>;
  return (
    <div className="table-wrap">
      <table className="data matrix">
        <caption>
          Evaluation {evaluation.id}: candidate <strong>{evaluation.candidate ?? "none"}</strong> on dataset{" "}
          <code title={evaluation.snapshot_hash}>{shortHash(evaluation.snapshot_hash)}</code>,{" "}
          {formatNumber(evaluation.examples)} held-out replies, {formatNumber(evaluation.seconds)} s, {formatWhen(evaluation.created_at)}.
          {!hasActive && " No adapter was active: the candidate is compared with the base model."}
        </caption>
        <thead>
          <tr>
            <th scope="col">System</th>
            {columns.map((column) => (
              <th key={column} scope="col" className="num" title={METRICS[column]?.help}>
                {METRICS[column]?.label ?? humanize(column)} <span aria-hidden="true">↑</span>
                <span className="visually-hidden"> (higher is better)</span>
              </th>
            ))}
            {hasPerplexity && (
              <th scope="col" className="num" title="Perplexity on general text, by model: how much plain language it still knows.">
                Perplexity <span aria-hidden="true">↓</span>
                <span className="visually-hidden"> (lower is better)</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.model}-${row.retrieval}`} className={`model-${row.model}`}>
              <th scope="row">{systemName(row)}</th>
              {allColumns.map((column) => {
                const cell = value(row, column);
                const isBest = cell !== null && cell === best[column];
                return (
                  <td key={column} className={isBest ? "num best" : "num"} data-best={isBest || undefined}>
                    {column === PERPLEXITY ? (cell === null ? "—" : formatNumber(cell, 2)) : formatScore(cell)}
                    {isBest && <span className="visually-hidden"> (best)</span>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        <span className="legend-best">Highlighted</span>: the best value of its column. Scores are means over the held-out replies
        (0 to 1); “—” was not measured.
      </p>
    </div>
  );
}

const CHECK_LABEL: Record<string, string> = {
  chrf: "Beats the incumbent on chrF",
  grounding: "No grounding regression",
  forgetting: "No forgetting of general language",
};

function DecisionAndReasons({ evaluation }: { evaluation: Evaluation }) {
  const headingId = useId();
  const { decision, gate } = evaluation;
  return (
    <div className="decision" aria-labelledby={headingId} role="group">
      <h3 id={headingId}>Decision and reasons</h3>
      {decision ? (
        <p>
          <ActionBadge action={decision.action} /> {decision.reason}{" "}
          <span className="hint">
            ({who(decision.by)}, {formatWhen(decision.created_at)})
          </span>
        </p>
      ) : (
        <p className="hint">
          No decision was recorded on this matrix: it was evaluated by hand, not by the nightly cycle. Promote or keep it under
          “Adapters”.
        </p>
      )}
      {gate ? (
        <>
          <p>
            <strong>Promotion gate</strong>{" "}
            <span className="hint">
              (current settings: chrF margin {gate.margin}, perplexity at most {gate.forgetting_limit}× the base model's)
            </span>
            : {gate.promote ? "every check passes, the gate would promote it." : "the gate would not promote it."}
          </p>
          <ul className="checks">
            {gate.checks.map((check) => {
              const state = check.passed === true ? "passed" : check.passed === false ? "failed" : "unmeasured";
              return (
                <li key={check.name} className={`check ${state}`}>
                  <span className="check-mark" aria-hidden="true">
                    {state === "passed" ? "✓" : state === "failed" ? "✗" : "–"}
                  </span>
                  <span className="visually-hidden">{state === "passed" ? "Passed:" : state === "failed" ? "Failed:" : "Not measured:"} </span>
                  <strong>{CHECK_LABEL[check.name] ?? humanize(check.name)}</strong> — {check.detail}
                </li>
              );
            })}
          </ul>
        </>
      ) : (
        <p className="hint">This matrix has no candidate to judge.</p>
      )}
    </div>
  );
}
