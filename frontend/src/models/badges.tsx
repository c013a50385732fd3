// Status words as badges, coloured by what they mean (the word is always there: colour is never alone).
import type { AdapterEvent, Adapter, RetrieverState, RunStatus } from "./queries";

const RUN_TONE: Record<RunStatus, string> = { queued: "info", running: "info", succeeded: "good", failed: "bad", cancelled: "warn" };

export function RunStatusBadge({ status, cancelling = false }: { status: RunStatus | undefined; cancelling?: boolean }) {
  const value = status ?? "queued";
  return (
    <span className={`badge ${RUN_TONE[value]}`}>
      {value === "running" && <span className="pulse" aria-hidden="true" />}
      {value}
      {cancelling && value === "running" ? " (cancelling…)" : ""}
    </span>
  );
}

type AdapterStatus = NonNullable<Adapter["status"]>;
const ADAPTER_TONE: Record<AdapterStatus, string> = { active: "good", candidate: "info", retired: "", rejected: "bad" };

export function AdapterStatusBadge({ status }: { status: Adapter["status"] }) {
  const value = status ?? "candidate";
  return <span className={`badge ${ADAPTER_TONE[value]}`}>{value}</span>;
}

type Action = AdapterEvent["action"];
export const ACTION_LABEL: Record<Action, string> = {
  promoted: "Promoted",
  rolled_back: "Rolled back",
  kept: "Kept the active model",
  skipped: "Cycle skipped",
  failed: "Cycle failed",
};
const ACTION_TONE: Record<Action, string> = { promoted: "good", rolled_back: "warn", kept: "info", skipped: "", failed: "bad" };

export function ActionBadge({ action }: { action: Action }) {
  return <span className={`badge ${ACTION_TONE[action]}`}>{ACTION_LABEL[action] ?? action}</span>;
}

const RETRIEVER_TONE: Record<RetrieverState, string> = {
  queued: "info",
  training: "info",
  candidate: "info",
  rejected: "bad",
  active: "good",
  retired: "",
  failed: "bad",
};

export function RetrieverStateBadge({ state }: { state: RetrieverState }) {
  return (
    <span className={`badge ${RETRIEVER_TONE[state] ?? ""}`}>
      {state === "training" && <span className="pulse" aria-hidden="true" />}
      {state}
    </span>
  );
}
