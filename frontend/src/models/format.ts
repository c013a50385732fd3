// How the models dashboard writes numbers, times, hashes and the names of statuses and metrics.

export { formatWhen, humanize } from "../ui/format";

/** "1 min 5 s", "2 h 3 min": how long from `from` to `to` (now when `to` is empty). */
export function formatDuration(from: string | null | undefined, to?: string | null, now = Date.now()): string {
  if (!from) return "—";
  const start = new Date(from).getTime();
  const end = to ? new Date(to).getTime() : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return "—";
  const seconds = Math.max(0, Math.round((end - start) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A loss or score, with as many decimals as make it readable. */
export function formatScore(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(4);
}

/** An axis label: short, without trailing zeros. */
export function formatTick(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return value.toLocaleString(undefined, { maximumFractionDigits: 0 });
  if (magnitude >= 10) return String(Number(value.toFixed(1)));
  if (magnitude >= 1) return String(Number(value.toFixed(2)));
  return String(Number(value.toPrecision(2)));
}

export function shortHash(hash: string | null | undefined): string {
  return hash ? hash.slice(0, 12) : "—";
}

/** The base model's folder or hub id, shortened to its last part. */
export function modelName(path: string): string {
  const parts = path.split("/").filter(Boolean);
  return parts.length ? parts[parts.length - 1] : path;
}

export function who(by: string | undefined): string {
  if (!by) return "—";
  return by === "schedule" ? "Nightly cycle" : by;
}

/** "45 s", "3 min 20 s", "1 h 5 min": a length of time given in seconds. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  return formatDuration(new Date(0).toISOString(), new Date(Math.round(seconds) * 1000).toISOString());
}

/** A held-out figure then and now: "0.751 → 0.849 (+0.098)"; one side alone when the other is missing. */
export function formatChange(before: number | undefined, after: number | undefined): string {
  const known = (value: number | undefined): value is number => typeof value === "number" && Number.isFinite(value);
  if (!known(before) && !known(after)) return "—";
  if (!known(before)) return `? → ${(after as number).toFixed(3)}`;
  if (!known(after)) return `${before.toFixed(3)} → ?`;
  const difference = Number((after - before).toFixed(3));
  const sign = difference > 0 ? "+" : difference < 0 ? "−" : "±";
  return `${before.toFixed(3)} → ${after.toFixed(3)} (${sign}${Math.abs(difference).toFixed(3)})`;
}

/** The retrieval model a name stands for: an adapted run ("retriever:retriever-r3" → "retriever-r3"), or the
 * stock model by its last path part. */
export function retrieverModel(name: string): { adapted: boolean; label: string } {
  const prefix = "retriever:";
  return name.startsWith(prefix) ? { adapted: true, label: name.slice(prefix.length) } : { adapted: false, label: modelName(name) };
}
