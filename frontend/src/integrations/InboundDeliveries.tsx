// Events received from the sources, newest first, with what became of each: filter by source and status
// (kept in the address: ?source=&status=&page=).
import { useId } from "react";
import { Link } from "react-router-dom";
import { formatWhen } from "../ui/format";
import { pageParam, useListParams } from "../ui/listParams";
import { PagedTable } from "../ui/PagedTable";
import { INBOUND_STATUSES, useInbound, useSources, type InboundFilters, type InboundStatus } from "./api";
import { ChoiceFilter, InboundStatusBadge } from "./parts";

export function inboundFiltersFrom(params: URLSearchParams): InboundFilters {
  const status = params.get("status") ?? "";
  return {
    ...(params.get("source") ? { source: params.get("source")! } : {}),
    ...((INBOUND_STATUSES as string[]).includes(status) ? { status: status as InboundStatus } : {}),
    page: pageParam(params.get("page")),
  };
}

export function InboundDeliveries() {
  const headingId = useId();
  const { params, set, setPage } = useListParams<"source" | "status">();
  const filters = inboundFiltersFrom(params);
  const deliveries = useInbound(filters);
  const sources = useSources();
  const slugs = sources.data?.results.map((source) => source.slug) ?? [];
  if (filters.source && !slugs.includes(filters.source)) slugs.push(filters.source);
  const filtered = !!(filters.source || filters.status);
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId}>Events received</h2>
      </div>
      <div className="filters" role="group" aria-label="Filter the events received">
        <label>
          Source
          <select value={filters.source ?? ""} onChange={(e) => set("source", e.target.value)}>
            <option value="">All sources</option>
            {slugs.map((slug) => (
              <option key={slug} value={slug}>
                {sources.data?.results.find((source) => source.slug === slug)?.name ?? slug} ({slug})
              </option>
            ))}
          </select>
        </label>
        <ChoiceFilter
          label="Status"
          value={filters.status}
          any="Any status"
          choices={INBOUND_STATUSES}
          onChange={(value) => set("status", value)}
        />
      </div>
      <PagedTable
        query={deliveries}
        loading="Loading the events received…"
        empty={
          filtered
            ? "No event matches these filters."
            : "No event received yet. Once a source sends one, it is listed here with what became of it."
        }
        caption="Events received, newest first."
        className="inbound-table"
        columns={["Delivery", "Source", "Event", "Status", "Error", { label: "Attempts", numeric: true }, "Ticket", "Received"]}
        paging={{ label: "Events received", page: filters.page ?? 1, onPage: setPage }}
        row={(delivery) => (
          <tr>
            <th scope="row">
              <code className="break">{delivery.delivery_id}</code>
            </th>
            <td>
              <code>{delivery.source}</code>
            </td>
            <td>
              <code>{delivery.event_type}</code>
            </td>
            <td>
              <InboundStatusBadge status={delivery.status} />
            </td>
            <td className={delivery.error ? "error-cell" : undefined}>{delivery.error || "—"}</td>
            <td className="num">{delivery.attempts ?? 1}</td>
            <td>{delivery.ticket ? <Link to={`/tickets/${delivery.ticket}`}>Ticket {delivery.ticket}</Link> : "—"}</td>
            <td className="when">{formatWhen(delivery.received_at)}</td>
          </tr>
        )}
      />
    </section>
  );
}
