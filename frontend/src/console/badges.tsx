import { label, SLA_SOON_MINUTES, type Priority, type TicketStatus } from "./api";

const STATUS_TONE: Record<string, string> = { new: "info", open: "warn", pending: "", on_hold: "", solved: "good", closed: "" };
const PRIORITY_TONE: Record<string, string> = { urgent: "bad", high: "warn", normal: "", low: "" };

export function StatusBadge({ status = "new" }: { status?: TicketStatus }) {
  return <span className={`badge ${STATUS_TONE[status] ?? ""}`}>{label(status)}</span>;
}

export function PriorityBadge({ priority = "normal" }: { priority?: Priority }) {
  return <span className={`badge ${PRIORITY_TONE[priority] ?? ""}`}>{label(priority)}</span>;
}

/** "breached", "due in 25 min" (soon), or the due time; nothing for solved tickets or no SLA. */
export function slaState(due: string | null | undefined, status: string | undefined, now = Date.now()): { text: string; tone: string } | null {
  if (!due || status === "solved" || status === "closed") return null;
  const minutes = Math.round((Date.parse(due) - now) / 60_000);
  if (minutes < 0) return { text: `SLA breached ${formatMinutes(-minutes)} ago`, tone: "bad" };
  if (minutes <= SLA_SOON_MINUTES) return { text: `SLA due in ${formatMinutes(minutes)}`, tone: "warn" };
  return { text: `SLA due in ${formatMinutes(minutes)}`, tone: "" };
}

function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`;
  return `${Math.round(minutes / 1440)} d`;
}

export function SlaBadge({ due, status }: { due: string | null | undefined; status?: string }) {
  const state = slaState(due, status);
  return state ? <span className={`badge ${state.tone}`}>{state.text}</span> : null;
}
