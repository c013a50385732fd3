// Subscriptions: addresses that receive some of Openbook's events, each signed with the subscription's own
// secret. Create one (its secret is shown once), change its address, events, source or whether it is on,
// give it a new secret, or delete it with its delivery history.
import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { Confirm } from "../ui/Confirm";
import { Field, FieldError, FormError, generalError } from "../ui/form";
import { formatWhen } from "../ui/format";
import { DetailsRow, PagedTable, RowToggle } from "../ui/PagedTable";
import {
  EVENT_TYPES,
  useCreateSubscription,
  useDeleteSubscription,
  useSources,
  useSubscriptions,
  useUpdateSubscription,
  type EventType,
  type Subscription,
  type SubscriptionChanges,
} from "./api";
import { CardHead, SecretField, SecretOnce } from "./parts";

type Values = { name: string; url: string; events: EventType[]; source: string; active: boolean; secret: string };
type Shown = { kind: "edit" | "delete"; id: number } | null;

const EMPTY: Values = { name: "", url: "", events: [], source: "", active: true, secret: "" };

export function valuesOf(subscription: Subscription): Values {
  return {
    name: subscription.name,
    url: subscription.url,
    events: [...subscription.events],
    source: subscription.source ?? "",
    active: subscription.active ?? true,
    secret: "",
  };
}

/** Only what differs from the subscription, in the shape PATCH takes (an empty secret keeps the old one). */
export function changesBetween(before: Values, after: Values): SubscriptionChanges {
  const changes: SubscriptionChanges = {};
  if (after.name.trim() !== before.name) changes.name = after.name.trim();
  if (after.url.trim() !== before.url) changes.url = after.url.trim();
  if ([...after.events].sort().join() !== [...before.events].sort().join()) changes.events = after.events;
  if (after.source !== before.source) changes.source = after.source || null;
  if (after.active !== before.active) changes.active = after.active;
  if (after.secret) changes.secret = after.secret;
  return changes;
}

export function Subscriptions() {
  const headingId = useId();
  const formId = useId();
  const subscriptions = useSubscriptions();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ title: string; secret: string } | null>(null);
  const [shown, setShown] = useState<Shown>(null);
  const [done, setDone] = useState("");

  function show(next: Shown) {
    setDone("");
    setShown(next && shown && next.kind === shown.kind && next.id === shown.id ? null : next);
  }

  return (
    <section className="card" aria-labelledby={headingId}>
      <CardHead
        headingId={headingId}
        title="Subscriptions"
        newLabel="New subscription"
        open={creating}
        formId={formId}
        onToggle={() => {
          setCreating(!creating);
          setDone("");
        }}
      />
      <p className="hint">
        Addresses that receive Openbook's events as signed <code>POST</code>s (<code>X-Openbook-Signature</code>, made like the
        inbound one with the subscription's secret). Failed deliveries are retried with backoff, then marked dead.
      </p>
      {creating && (
        <SubscriptionForm
          id={formId}
          initial={EMPTY}
          onCancel={() => setCreating(false)}
          onSaved={(subscription, value) => {
            setCreating(false);
            if (value) setSecret({ title: `${subscription.name} is subscribed: its signing secret`, secret: value });
          }}
        />
      )}
      {secret && <SecretOnce title={secret.title} secret={secret.secret} onDone={() => setSecret(null)} />}
      <p role="status" className={done ? "state state-done" : "visually-hidden"}>
        {done}
      </p>
      <SubscriptionTable
        subscriptions={subscriptions}
        shown={shown}
        onShow={show}
        onSaved={(subscription, value) => {
          setShown(null);
          if (value) setSecret({ title: `The new secret of ${subscription.name}`, secret: value });
          else setDone(`${subscription.name} is saved.`);
        }}
        onDeleted={(subscription) => {
          setShown(null);
          setDone(`${subscription.name} is deleted, with its delivery history.`);
        }}
      />
    </section>
  );
}

type TableProps = {
  subscriptions: ReturnType<typeof useSubscriptions>;
  shown: Shown;
  onShow: (shown: Shown) => void;
  onSaved: (subscription: Subscription, secret: string) => void;
  onDeleted: (subscription: Subscription) => void;
};

function SubscriptionTable({ subscriptions, shown, onShow, onSaved, onDeleted }: TableProps) {
  return (
    <PagedTable
      query={subscriptions}
      loading="Loading subscriptions…"
      empty="No subscription yet. Add the address of a system that wants Openbook's events."
      caption="Outbound subscriptions, by name."
      className="subscriptions-table"
      columns={["Name", "Address", "Events", "Source", "Status", "Created", { label: "Actions", hidden: true }]}
      row={(subscription, nameId) => {
        const open = shown?.id === subscription.id ? shown.kind : null;
        return (
          <>
            <tr className={open ? "selected" : undefined}>
              <th scope="row" id={nameId}>
                {subscription.name}
              </th>
              <td>
                <code className="break">{subscription.url}</code>
              </td>
              <td>
                <ul className="event-list">
                  {subscription.events.map((event) => (
                    <li key={event}>
                      <code>{event}</code>
                    </li>
                  ))}
                </ul>
              </td>
              <td>{subscription.source ? <code>{subscription.source}</code> : "—"}</td>
              <td>{subscription.active ? <span className="badge good">active</span> : <span className="badge">off</span>}</td>
              <td>{formatWhen(subscription.created_at)}</td>
              <td className="actions">
                <Link className="button small" to={`/integrations/outbound?subscription=${subscription.id}`} aria-describedby={nameId}>
                  Deliveries
                </Link>
                <RowToggle rowId={nameId} open={open === "edit"} onClick={() => onShow({ kind: "edit", id: subscription.id })}>
                  Edit
                </RowToggle>
                <button
                  type="button"
                  className="button small danger"
                  aria-describedby={nameId}
                  onClick={() => onShow({ kind: "delete", id: subscription.id })}
                >
                  Delete
                </button>
              </td>
            </tr>
            {open && (
              <DetailsRow rowId={nameId}>
                {open === "edit" ? (
                  <SubscriptionForm subscription={subscription} initial={valuesOf(subscription)} onCancel={() => onShow(null)} onSaved={onSaved} />
                ) : (
                  <DeleteSubscription subscription={subscription} onCancel={() => onShow(null)} onDeleted={() => onDeleted(subscription)} />
                )}
              </DetailsRow>
            )}
          </>
        );
      }}
    />
  );
}

function DeleteSubscription({ subscription, onCancel, onDeleted }: { subscription: Subscription; onCancel: () => void; onDeleted: () => void }) {
  const remove = useDeleteSubscription();
  return (
    <Confirm
      title={`Delete ${subscription.name}?`}
      confirmLabel="Delete"
      busy={remove.isPending}
      error={remove.error}
      onCancel={onCancel}
      onConfirm={() => remove.mutate(subscription.id, { onSuccess: onDeleted })}
    >
      <p>
        Its events stop going to <code className="break">{subscription.url}</code>, and its delivery history is deleted with it. To
        pause it instead, switch it off in Edit.
      </p>
    </Confirm>
  );
}

type FormProps = {
  id?: string;
  /** The subscription edited; none for a new one. */
  subscription?: Subscription;
  initial: Values;
  onCancel: () => void;
  /** With the secret to show once: the server's for a new subscription, or the new one given. */
  onSaved: (subscription: Subscription, secret: string) => void;
};

function SubscriptionForm({ id, subscription, initial, onCancel, onSaved }: FormProps) {
  const create = useCreateSubscription();
  const update = useUpdateSubscription();
  const sources = useSources();
  const [values, setValues] = useState(initial);
  const legendId = useId();
  const editing = !!subscription;
  const saving = editing ? update : create;
  const error = saving.error;
  const set = <K extends keyof Values>(name: K, value: Values[K]) => setValues((current) => ({ ...current, [name]: value }));
  const changes = editing ? changesBetween(initial, values) : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (saving.isPending) return;
    if (subscription && changes) {
      if (Object.keys(changes).length === 0) return onCancel();
      update.mutate({ id: subscription.id, changes }, { onSuccess: (saved) => onSaved(saved, changes.secret ?? "") });
      return;
    }
    create.mutate(
      {
        name: values.name.trim(),
        url: values.url.trim(),
        events: values.events,
        active: true,
        ...(values.source ? { source: values.source } : {}),
        ...(values.secret ? { secret: values.secret } : {}),
      },
      { onSuccess: (created) => onSaved(created, created.secret) },
    );
  }

  const toggle = (event: EventType, on: boolean) =>
    set("events", EVENT_TYPES.map((e) => e.value).filter((e) => (e === event ? on : values.events.includes(e))));
  const label = editing ? `Edit ${subscription.name}` : "New subscription";
  return (
    <form id={id} className="integration-form" aria-label={label} onSubmit={submit}>
      <div className="form-row">
        <Field label="Name" name="name" error={error}>
          {(control) => <input {...control} value={values.name} onChange={(e) => set("name", e.target.value)} required maxLength={100} />}
        </Field>
        <Field label="Address (URL)" name="url" error={error} className="grow" hint="Where the events are POSTed: http:// or https://.">
          {(control) => (
            <input {...control} type="url" value={values.url} onChange={(e) => set("url", e.target.value)} required maxLength={500} placeholder="https://desk.example.com/hooks/openbook" />
          )}
        </Field>
        <Field label="Source (optional)" name="source" error={error} hint="Changes this source sent are not echoed back to it.">
          {(control) => (
            <select {...control} value={values.source} onChange={(e) => set("source", e.target.value)}>
              <option value="">None</option>
              {values.source && !sources.data?.results.some((s) => s.slug === values.source) && <option value={values.source}>{values.source}</option>}
              {sources.data?.results.map((source) => (
                <option key={source.id} value={source.slug}>
                  {source.name} ({source.slug})
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <fieldset className="event-choices" aria-describedby={legendId}>
        <legend>Events</legend>
        <p className="hint" id={legendId}>
          Choose at least one.
        </p>
        {EVENT_TYPES.map((event) => (
          <label className="inline" key={event.value}>
            <input type="checkbox" checked={values.events.includes(event.value)} onChange={(e) => toggle(event.value, e.target.checked)} />
            <code>{event.value}</code> <span className="hint">{event.label}</span>
          </label>
        ))}
        <FieldError error={error} name="events" />
      </fieldset>
      {editing && (
        <label className="inline">
          <input type="checkbox" checked={values.active} onChange={(e) => set("active", e.target.checked)} />
          Active: send it events (off: new events are not recorded for it)
        </label>
      )}
      <SecretField
        label={editing ? "New secret (optional)" : "Secret (optional)"}
        value={values.secret}
        onChange={(value) => set("secret", value)}
        error={error}
        hint={
          editing
            ? "Rotates the signing secret: it is used from the next attempt on. Leave it empty to keep the current one."
            : "The key deliveries are signed with. Leave it empty for a new random one, shown once after creating."
        }
      />
      <FormError error={generalError(error, ["name", "url", "events", "source", "secret", "active"])} />
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={saving.isPending || values.events.length === 0 || (editing && Object.keys(changes ?? {}).length === 0)}>
          {saving.isPending ? "Saving…" : editing ? "Save changes" : "Create subscription"}
        </button>
        <button type="button" className="button" onClick={onCancel} disabled={saving.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
