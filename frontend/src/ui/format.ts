// How the console writes times and the names of statuses, kinds and metrics: one way everywhere.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function parsed(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "Nov 21, 2026, 12:43 PM"; "—" when there is no (valid) time. */
export function formatWhen(iso: string | null | undefined): string {
  const date = parsed(iso);
  return date ? dateTime.format(date) : "—";
}

/** "Nov 21, 2026"; "—" when there is no (valid) time. */
export function formatDay(iso: string | null | undefined): string {
  const date = parsed(iso);
  return date ? day.format(date) : "—";
}

/** "on_hold" → "On hold". */
export function humanize(key: string): string {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
