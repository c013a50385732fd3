// Events sent to the subscriptions, newest first: filter by subscription, status and event type; open one
// for its body and every attempt; send one again. The list is asked again every POLL_MS while something on
// it is on its way. Filters and the opened delivery live in the address (?subscription=&status=&event=&
// page=&delivery=).
import { useEffect, useId, useRef, useState } from "react";
import { Confirm } from "../ui/Confirm";
import { formatWhen } from "../ui/format";
import { pageParam, useListParams } from "../ui/listParams";
import { DetailsRow, PagedTable, RowToggle } from "../ui/PagedTable";
import { Empty, ErrorMessage, Loading } from "../ui/status";
import {
  EVENT_TYPES,
  isOpen,
  OUTBOUND_STATUSES,
  POLL_MS,
  useOutbound,
  useOutboundDetail,
  useRedeliver,
  useSubscriptions,
  type EventType,
  type OutboundDelivery,
  type OutboundFilters,
  type OutboundStatus,
} from "./api";
import { ChoiceFilter, OutboundStatusBadge } from "./parts";

function idParam(value: string | null): number | null {
  const id = Number(value);
  return value && Number.isInteger(id) && id > 0 ? id : null;
}

export function outboundFiltersFrom(params: URLSearchParams): OutboundFilters {
  const status = params.get("status") ?? "";
  const event = params.get("event") ?? "";
  const subscription = idParam(params.get("subscription"));
  return {
    ...(subscription ? { subscription } : {}),
    ...((OUTBOUND_STATUSES as string[]).includes(status) ? { status: status as OutboundStatus } : {}),
    ...(EVENT_TYPES.some((e) => e.value === event) ? { event_type: event as EventType } : {}),
    page: pageParam(params.get("page")),
  };
}

/** A JSON value with its object keys sorted, the order of the body that was signed and sent. */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/** The first characters of a receiver's answer: enough to recognise it. */
const ANSWER_CHARS = 200;

export function OutboundDeliveries() {
  const headingId = useId();
  const { params, set, setPage } = useListParams<"subscription" | "status" | "event" | "delivery">(["delivery"]);
  const filters = outboundFiltersFrom(params);
  const opened = idParam(params.get("delivery"));
  const deliveries = useOutbound(filters);
  const subscriptions = useSubscriptions();
  const [asking, setAsking] = useState<OutboundDelivery | null>(null);
  const [done, setDone] = useState("");

  useNamesOfNewSubscriptions(deliveries.data?.results, subscriptions);
  const nameOf = (id: number) => subscriptions.data?.results.find((s) => s.id === id)?.name ?? `Subscription ${id}`;
  const live = deliveries.data?.results.some((d) => isOpen(d.status)) ?? false;
  const filtered = !!(filters.subscription || filters.status || filters.event_type);
  const listed = deliveries.data?.results.some((d) => d.id === opened) ?? false;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId}>Events sent</h2>
        {live && (
          <span className="hint live-note">
            <span className="pulse" aria-hidden="true" /> Live: updated every {POLL_MS / 1000} s while a delivery is on its way
          </span>
        )}
      </div>
      <div className="filters" role="group" aria-label="Filter the events sent">
        <label>
          Subscription
          <select value={filters.subscription ?? ""} onChange={(e) => set("subscription", e.target.value)}>
            <option value="">All subscriptions</option>
            {filters.subscription && !subscriptions.data?.results.some((s) => s.id === filters.subscription) && (
              <option value={filters.subscription}>{nameOf(filters.subscription)}</option>
            )}
            {subscriptions.data?.results.map((subscription) => (
              <option key={subscription.id} value={subscription.id}>
                {subscription.name}
              </option>
            ))}
          </select>
        </label>
        <ChoiceFilter
          label="Status"
          value={filters.status}
          any="Any status"
          choices={OUTBOUND_STATUSES}
          onChange={(value) => set("status", value)}
        />
        <ChoiceFilter
          label="Event"
          value={filters.event_type}
          any="Any event"
          choices={EVENT_TYPES.map((event) => event.value)}
          onChange={(value) => set("event", value)}
        />
      </div>
      <p role="status" className={done ? "state state-done" : "visually-hidden"}>
        {done}
      </p>
      <PagedTable
        query={deliveries}
        loading="Loading the events sent…"
        empty={
          filtered
            ? "No delivery matches these filters."
            : "Nothing sent yet. Each event a subscription asks for becomes one delivery here, with every attempt."
        }
        caption="Events sent to subscriptions, newest first."
        className="outbound-table"
        columns={[
          "Event",
          "Subscription",
          "Status",
          { label: "Attempts", numeric: true },
          { label: "Last HTTP status", numeric: true },
          "Last error",
          "Created",
          "Delivered",
          "Next attempt",
          { label: "Actions", hidden: true },
        ]}
        paging={{ label: "Events sent", page: filters.page ?? 1, onPage: setPage }}
        row={(delivery, rowId) => {
          const expanded = delivery.id === opened;
          const confirming = asking?.id === delivery.id;
          return (
            <>
              <tr className={expanded ? "selected" : undefined}>
                <th scope="row" id={rowId}>
                  <code>{delivery.event_type}</code>
                </th>
                <td>{nameOf(delivery.subscription)}</td>
                <td>
                  <OutboundStatusBadge status={delivery.status} />
                </td>
                <td className="num">{delivery.attempts ?? 0}</td>
                <td className="num">{delivery.last_status_code ?? "—"}</td>
                <td className={delivery.last_error ? "error-cell" : undefined}>{delivery.last_error || "—"}</td>
                <td className="when">{formatWhen(delivery.created_at)}</td>
                <td className="when">{formatWhen(delivery.delivered_at)}</td>
                <td className="when">{delivery.status === "pending" || delivery.status === "retrying" ? formatWhen(delivery.next_attempt_at) : "—"}</td>
                <td className="actions">
                  <RowToggle rowId={rowId} open={expanded} onClick={() => set("delivery", expanded ? "" : String(delivery.id))}>
                    Details
                  </RowToggle>
                  <button
                    type="button"
                    className="button small"
                    aria-describedby={rowId}
                    onClick={() => {
                      setDone("");
                      setAsking(confirming ? null : delivery);
                    }}
                  >
                    Redeliver
                  </button>
                </td>
              </tr>
              {confirming && (
                <tr className="details-row">
                  <td colSpan={10}>
                    <Redeliver
                      delivery={delivery}
                      subscription={nameOf(delivery.subscription)}
                      onCancel={() => setAsking(null)}
                      onDone={(message) => {
                        setAsking(null);
                        setDone(message);
                      }}
                    />
                  </td>
                </tr>
              )}
              {expanded && (
                <DetailsRow rowId={rowId}>
                  <DeliveryDetail id={delivery.id} />
                </DetailsRow>
              )}
            </>
          );
        }}
      />
      {opened !== null && deliveries.isSuccess && !listed && (
        <div className="standalone-detail">
          <DeliveryDetail id={opened} />
        </div>
      )}
    </section>
  );
}

/** A delivery to a subscription made since the list of subscriptions was read (in another tab, over the
 * API) gets its name by reading the list again, once for each such subscription. */
function useNamesOfNewSubscriptions(deliveries: OutboundDelivery[] | undefined, subscriptions: ReturnType<typeof useSubscriptions>) {
  const asked = useRef(new Set<number>());
  const known = subscriptions.data?.results;
  const missing = known ? (deliveries ?? []).map((d) => d.subscription).filter((id) => !known.some((s) => s.id === id) && !asked.current.has(id)) : [];
  const key = [...new Set(missing)].join(",");
  const { refetch, isFetching } = subscriptions;
  useEffect(() => {
    if (!key || isFetching) return;
    key.split(",").forEach((id) => asked.current.add(Number(id)));
    void refetch();
  }, [key, isFetching, refetch]);
}

function Redeliver({ delivery, subscription, onCancel, onDone }: { delivery: OutboundDelivery; subscription: string; onCancel: () => void; onDone: (message: string) => void }) {
  const redeliver = useRedeliver();
  return (
    <Confirm
      title={`Redeliver this ${delivery.event_type} event?`}
      confirmLabel="Redeliver"
      busy={redeliver.isPending}
      error={redeliver.error}
      onCancel={onCancel}
      onConfirm={() =>
        redeliver.mutate(delivery.id, {
          onSuccess: () => onDone(`The ${delivery.event_type} event is queued for ${subscription} again, with a fresh round of attempts.`),
        })
      }
    >
      <p>
        It is sent to {subscription} again now, with a fresh round of attempts and the same delivery id (
        <code>{delivery.delivery_id}</code>), so a receiver that has it already can tell.
      </p>
    </Confirm>
  );
}

function DeliveryDetail({ id }: { id: number }) {
  const detail = useOutboundDetail(id);
  const headingId = useId();
  if (detail.isPending) return <Loading label="Loading the delivery…" />;
  if (detail.isError) return <ErrorMessage error={detail.error} retry={() => void detail.refetch()} />;
  const delivery = detail.data;
  return (
    <article className="delivery-detail" aria-labelledby={headingId}>
      <h3 id={headingId}>
        <code>{delivery.event_type}</code> delivery <OutboundStatusBadge status={delivery.status} />
      </h3>
      <dl className="delivery-facts">
        <div>
          <dt>Delivery id</dt>
          <dd>
            <code>{delivery.delivery_id}</code>
          </dd>
        </div>
        <div>
          <dt>Event id</dt>
          <dd>
            <code>{delivery.event_id}</code>
          </dd>
        </div>
        <div>
          <dt>Attempts this round</dt>
          <dd>{delivery.attempts ?? 0}</dd>
        </div>
      </dl>
      <div className="delivery-grid">
        <div>
          <h4>Attempts</h4>
          {delivery.attempt_log.length === 0 ? (
            <Empty>No attempt yet: a worker sends it within moments.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="data attempts-table">
                <caption className="visually-hidden">Every attempt, oldest first.</caption>
                <thead>
                  <tr>
                    <th scope="col" className="num">#</th>
                    <th scope="col">At</th>
                    <th scope="col" className="num">Status</th>
                    <th scope="col">Error</th>
                    <th scope="col" className="num">Time taken</th>
                    <th scope="col">Answer (start)</th>
                  </tr>
                </thead>
                <tbody>
                  {delivery.attempt_log.map((attempt) => (
                    <tr key={attempt.number}>
                      <td className="num">{attempt.number}</td>
                      <td className="when">{formatWhen(attempt.at)}</td>
                      <td className="num">{attempt.status_code ?? "—"}</td>
                      <td className={attempt.error ? "error-cell" : undefined}>{attempt.error || "—"}</td>
                      <td className="num">{Math.round(attempt.duration_ms)} ms</td>
                      <td>
                        {attempt.response_body ? (
                          <code className="break" title={attempt.response_body}>
                            {attempt.response_body.length > ANSWER_CHARS ? `${attempt.response_body.slice(0, ANSWER_CHARS)}…` : attempt.response_body}
                          </code>
                        ) : (
                          "—"
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
        <div>
          <h4>Payload</h4>
          <pre className="payload" tabIndex={0} role="region" aria-label="Payload">
            {JSON.stringify(sortedKeys(delivery.payload), null, 2)}
          </pre>
        </div>
      </div>
    </article>
  );
}
