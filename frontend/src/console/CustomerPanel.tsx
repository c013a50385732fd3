// What we know of the customer: profile, plan, organization, products, recent tickets, incidents on their products.
import { formatDay } from "../ui/format";
import { Link } from "react-router-dom";
import { QueryState } from "../ui/status";
import { label, useActiveIncidents, useCustomer, useCustomerTickets, type Ticket } from "./api";
import { StatusBadge } from "./badges";

export function CustomerPanel({ ticket }: { ticket: Ticket }) {
  const customer = useCustomer(ticket.customer.id);
  const recent = useCustomerTickets(ticket.customer.id);
  const incidents = useActiveIncidents();
  return (
    <aside className="customer-panel" aria-labelledby="customer-title">
      <section className="card">
        <h2 id="customer-title">Customer</h2>
        <QueryState query={customer} label="Loading the customer…">
          {(c) => (
            <dl className="facts">
              <dt>Name</dt>
              <dd>{c.name}</dd>
              <dt>Email</dt>
              <dd className="break">{c.email}</dd>
              {c.phone && (
                <>
                  <dt>Phone</dt>
                  <dd>{c.phone}</dd>
                </>
              )}
              <dt>Plan</dt>
              <dd>{c.plan ? <span className="badge info">{c.plan}</span> : "none"}</dd>
              <dt>Organization</dt>
              <dd>{c.organization?.name ?? "none"}</dd>
              <dt>Account</dt>
              <dd>{label(c.account_status ?? "")}</dd>
              <dt>Language</dt>
              <dd>{c.language}</dd>
              <dt>Products</dt>
              <dd>{c.products.length ? c.products.map((p) => <span key={p} className="badge">{p}</span>) : "none"}</dd>
              {c.subscriptions?.length ? (
                <>
                  <dt>Subscription</dt>
                  <dd>
                    {c.subscriptions.map((s) => (
                      <div key={s.id}>
                        {s.plan} · {s.status}
                        {s.seats ? ` · ${s.seats} seats` : ""}
                        {s.renews_at ? ` · renews ${formatDay(s.renews_at)}` : ""}
                      </div>
                    ))}
                  </dd>
                </>
              ) : null}
            </dl>
          )}
        </QueryState>
      </section>
      <section className="card" aria-labelledby="incidents-title">
        <h2 id="incidents-title">Active incidents</h2>
        <QueryState query={incidents} label="Loading incidents…">
          {(data) => {
            const products = new Set([...(customer.data?.products ?? []), ...ticket.products]);
            const affecting = data.results.filter((i) => i.products.some((p) => products.has(p)));
            return affecting.length ? (
              <ul className="incidents">
                {affecting.map((i) => (
                  <li key={i.id}>
                    <span className="badge bad">{label(i.status ?? "")}</span> <strong>{i.title}</strong>
                    {i.customer_summary && <div className="hint">{i.customer_summary}</div>}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="hint">None affecting this customer's products.</p>
            );
          }}
        </QueryState>
      </section>
      <section className="card" aria-labelledby="recent-title">
        <h2 id="recent-title">Recent tickets</h2>
        <QueryState query={recent} label="Loading tickets…">
          {(data) => {
            const others = data.results.filter((t) => t.id !== ticket.id);
            return others.length ? (
              <ul className="recent">
                {others.map((t) => (
                  <li key={t.id}>
                    <Link to={`/tickets/${t.id}`}>{t.subject}</Link> <StatusBadge status={t.status} />
                    <div className="hint">{formatDay(t.created_at)}</div>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="hint">No other tickets.</p>
            );
          }}
        </QueryState>
      </section>
    </aside>
  );
}
