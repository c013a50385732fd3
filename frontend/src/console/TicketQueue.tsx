// The agent's queue: filters kept in the address, live refresh, unread marks, keyboard navigation.
import { formatWhen } from "../ui/format";
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { Empty, ErrorMessage, Loading } from "../ui/status";
import { useShortcut } from "../ui/shortcuts";
import { DEFAULT_FILTERS, label, PRIORITIES, STATUSES, useTeams, useTickets, type Priority, type QueueFilters, type TicketStatus } from "./api";
import { PriorityBadge, SlaBadge, StatusBadge } from "./badges";
import { ShortcutHelp } from "./ShortcutHelp";

export const ORDERINGS: [string, string][] = [
  ["sla_due_at", "SLA due first"],
  ["-created_at", "Newest first"],
  ["created_at", "Oldest first"],
  ["-updated_at", "Recently updated"],
  ["priority", "Priority"],
];

/** The filters as the address holds them (defaults are left out). */
export function filtersFrom(params: URLSearchParams): QueueFilters {
  const status = params.has("status") ? (params.get("status") || "").split(",").filter(Boolean) : DEFAULT_FILTERS.status;
  return {
    status: status.filter((s): s is TicketStatus => (STATUSES as string[]).includes(s)),
    priority: (PRIORITIES as string[]).includes(params.get("priority") ?? "") ? (params.get("priority") as Priority) : "",
    assignee: params.get("assignee") ?? DEFAULT_FILTERS.assignee,
    tag: params.get("tag") ?? "",
    slaSoon: params.get("sla") === "soon",
    search: params.get("q") ?? "",
    ordering: ORDERINGS.some(([value]) => value === params.get("sort")) ? params.get("sort")! : DEFAULT_FILTERS.ordering,
  };
}

export function paramsFrom(filters: QueueFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.status.join(",") !== DEFAULT_FILTERS.status.join(",")) params.set("status", filters.status.join(","));
  if (filters.priority) params.set("priority", filters.priority);
  if (filters.assignee) params.set("assignee", filters.assignee);
  if (filters.tag) params.set("tag", filters.tag);
  if (filters.slaSoon) params.set("sla", "soon");
  if (filters.search) params.set("q", filters.search);
  if (filters.ordering !== DEFAULT_FILTERS.ordering) params.set("sort", filters.ordering);
  return params;
}

function StatusFilter({ value, onChange }: { value: TicketStatus[]; onChange: (next: TicketStatus[]) => void }) {
  return (
    <fieldset className="status-filter">
      <legend>Status</legend>
      {STATUSES.map((status) => (
        <label key={status} className="inline">
          <input
            type="checkbox"
            checked={value.includes(status)}
            onChange={(e) => onChange(e.target.checked ? [...value, status] : value.filter((s) => s !== status))}
          />
          {label(status)}
        </label>
      ))}
    </fieldset>
  );
}

export function TicketQueue() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const [search, setSearch] = useState(filters.search);
  const tickets = useTickets(filters);
  const teams = useTeams();
  const colleagues = [...new Map((teams.data ?? []).flatMap((team) => team.members).map((m) => [m.id, m])).values()].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  const navigate = useNavigate();
  const searchBox = useRef<HTMLInputElement>(null);
  const [selected, setSelected] = useState(0);
  const seen = useRef<Set<number> | null>(null);
  const [fresh, setFresh] = useState<Set<number>>(new Set());

  const set = (next: Partial<QueueFilters>) => setParams(paramsFrom({ ...filters, ...next }), { replace: true });

  // Debounced search: the address (and the query) follow the box after a short pause.
  useEffect(() => {
    const timer = setTimeout(() => search !== filters.search && set({ search }), 300);
    return () => clearTimeout(timer);
  });

  // Tickets that appear on a refresh are marked new until the next change of filters.
  const key = paramsFrom(filters).toString();
  useEffect(() => {
    seen.current = null;
    setFresh(new Set());
  }, [key]);
  const results = tickets.data?.results;
  useEffect(() => {
    if (!results || tickets.isPlaceholderData) return;
    const ids = new Set(results.map((t) => t.id));
    if (seen.current) {
      const arrived = [...ids].filter((id) => !seen.current!.has(id));
      if (arrived.length) setFresh((old) => new Set([...old, ...arrived]));
    }
    seen.current = ids;
  }, [results, tickets.isPlaceholderData]);

  const rows = results ?? [];
  useShortcut("/", () => searchBox.current?.focus());
  useShortcut("j", () => setSelected((i) => Math.min(i + 1, rows.length - 1)));
  useShortcut("k", () => setSelected((i) => Math.max(i - 1, 0)));
  useEffect(() => {
    document.querySelector<HTMLElement>(`[data-row="${selected}"] a`)?.focus({ preventScroll: false });
  }, [selected]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Tickets</h1>
        <span className="hint" aria-live="polite">
          {tickets.data ? `${tickets.data.count} ticket${tickets.data.count === 1 ? "" : "s"}` : ""}
          {fresh.size ? ` · ${fresh.size} new since you opened the queue` : ""}
        </span>
        {tickets.isFetching && <span className="spinner" aria-label="Refreshing" />}
      </div>
      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); set({ search }); }}>
        <label>
          Search
          <input ref={searchBox} type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Subject, customer, e-mail (/)" />
        </label>
        <StatusFilter value={filters.status} onChange={(status) => set({ status })} />
        <label>
          Priority
          <select value={filters.priority} onChange={(e) => set({ priority: e.target.value as Priority | "" })}>
            <option value="">Any</option>
            {PRIORITIES.map((p) => <option key={p} value={p}>{label(p)}</option>)}
          </select>
        </label>
        <label>
          Assignee
          <select value={filters.assignee} onChange={(e) => set({ assignee: e.target.value })}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
            <option value="none">Unassigned</option>
            {colleagues.length > 0 && (
              <optgroup label="Colleagues">
                {colleagues.map((member) => (
                  <option key={member.id} value={String(member.id)}>{member.name}</option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
        <label>
          Tag
          <input value={filters.tag} onChange={(e) => set({ tag: e.target.value })} size={10} />
        </label>
        <label className="inline sla-soon">
          <input type="checkbox" checked={filters.slaSoon} onChange={(e) => set({ slaSoon: e.target.checked })} />
          SLA breach soon
        </label>
        <label>
          Sort
          <select value={filters.ordering} onChange={(e) => set({ ordering: e.target.value })}>
            {ORDERINGS.map(([value, text]) => <option key={value} value={value}>{text}</option>)}
          </select>
        </label>
      </form>
      {tickets.isPending ? (
        <Loading label="Loading tickets…" />
      ) : tickets.isError && !tickets.data ? (
        <ErrorMessage error={tickets.error} retry={() => void tickets.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>No ticket matches these filters.</Empty>
      ) : (
        <>
          {tickets.isError && <ErrorMessage error={tickets.error} />}
          <table className="data queue">
            <caption className="visually-hidden">Tickets, {filters.ordering}</caption>
            <thead>
              <tr>
                <th scope="col"><span className="visually-hidden">Unread</span></th>
                <th scope="col">Subject</th>
                <th scope="col">Customer</th>
                <th scope="col">Status</th>
                <th scope="col">Priority</th>
                <th scope="col">SLA</th>
                <th scope="col">Assignee</th>
                <th scope="col">Last message</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t, index) => (
                <tr
                  key={t.id}
                  data-row={index}
                  className={["clickable", t.unread ? "unread" : "", fresh.has(t.id) ? "fresh" : "", index === selected ? "selected" : ""].join(" ")}
                  onClick={() => navigate(`/tickets/${t.id}`)}
                >
                  <td>{t.unread && <span className="unread-dot" title="New customer message" aria-label="Unread" role="img" />}</td>
                  <td>
                    <Link to={`/tickets/${t.id}`} onClick={(e) => e.stopPropagation()} onFocus={() => setSelected(index)}>
                      {t.subject}
                    </Link>
                    {fresh.has(t.id) && <span className="badge info">new</span>}
                    <div className="hint">#{t.id} · {t.team.name}{(t.tags ?? []).map((tag) => ` #${tag}`).join("")}</div>
                  </td>
                  <td>
                    {t.customer.name}
                    <div className="hint">{t.customer.plan ?? ""}</div>
                  </td>
                  <td><StatusBadge status={t.status} /></td>
                  <td><PriorityBadge priority={t.priority} /></td>
                  <td><SlaBadge due={t.sla_due_at} status={t.status} /></td>
                  <td>{t.assignee?.name ?? <span className="hint">Unassigned</span>}</td>
                  <td className="hint">{t.last_message_at ? formatWhen(t.last_message_at) : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {tickets.data && tickets.data.count > rows.length && (
            <p className="hint">Showing the first {rows.length} of {tickets.data.count}. Narrow the filters to see the rest.</p>
          )}
        </>
      )}
      <ShortcutHelp />
    </div>
  );
}
