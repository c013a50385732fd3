// Sources: the ticketing systems that send events in, each with its own signing secret. Create one (its
// secret is shown once), switch one off or on, give one a new secret, and read what to paste where.
import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { Confirm } from "../ui/Confirm";
import { Field, FormError, generalError } from "../ui/form";
import { formatWhen } from "../ui/format";
import { DetailsRow, PagedTable, RowToggle } from "../ui/PagedTable";
import { SOURCE_KINDS, useCreateSource, useSources, useUpdateSource, type Source, type SourceCreated, type SourceKind } from "./api";
import { absolute, CardHead, CopyButton, randomSecret, SecretField, SecretOnce, SetupHints } from "./parts";

type Shown = { kind: "setup" | "rotate"; id: number } | null;
type Secret = { title: string; secret: string; source: Pick<Source, "kind" | "events_url"> };

const KIND_LABEL: Record<SourceKind, string> = { generic: "Generic", zendesk: "Zendesk", freshdesk: "Freshdesk" };

export function Sources() {
  const headingId = useId();
  const formId = useId();
  const sources = useSources();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<Secret | null>(null);
  const [shown, setShown] = useState<Shown>(null);
  const [done, setDone] = useState("");

  function created(source: SourceCreated) {
    setCreating(false);
    setSecret({ title: `${source.name} is ready: its signing secret`, secret: source.secret, source });
  }

  return (
    <section className="card" aria-labelledby={headingId}>
      <CardHead
        headingId={headingId}
        title="Sources"
        newLabel="New source"
        open={creating}
        formId={formId}
        onToggle={() => {
          setCreating(!creating);
          setDone("");
        }}
      />
      <p className="hint">
        A ticketing system (a Zendesk account, a Freshdesk portal, your own tool) that sends its tickets' events to
        Openbook, signed with its own secret. Its slug becomes the source of the tickets and customers it creates.
      </p>
      {creating && <NewSource id={formId} onCreated={created} onCancel={() => setCreating(false)} />}
      {secret && (
        <SecretOnce title={secret.title} secret={secret.secret} onDone={() => setSecret(null)}>
          <SetupHints kind={secret.source.kind} url={absolute(secret.source.events_url)} />
        </SecretOnce>
      )}
      <p role="status" className={done ? "state state-done" : "visually-hidden"}>
        {done}
      </p>
      <SourceTable
        sources={sources}
        shown={shown}
        onShow={(next) => {
          setDone("");
          setShown(next && shown && next.kind === shown.kind && next.id === shown.id ? null : next);
        }}
        onDone={setDone}
        onRotated={(source, value) => {
          setShown(null);
          setSecret({ title: `The new secret of ${source.name}`, secret: value, source });
        }}
      />
    </section>
  );
}

function NewSource({ id, onCreated, onCancel }: { id: string; onCreated: (source: SourceCreated) => void; onCancel: () => void }) {
  const create = useCreateSource();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [kind, setKind] = useState<SourceKind>("generic");
  const [secret, setSecret] = useState("");

  function submit(event: FormEvent) {
    event.preventDefault();
    if (create.isPending) return;
    const body = { name: name.trim(), kind, ...(slug.trim() ? { slug: slug.trim() } : {}), ...(secret ? { secret } : {}) };
    create.mutate(body, { onSuccess: onCreated });
  }

  const error = create.error;
  return (
    <form id={id} className="integration-form" aria-label="New source" onSubmit={submit}>
      <div className="form-row">
        <Field label="Name" name="name" error={error} className="grow">
          {(control) => <input {...control} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />}
        </Field>
        <Field label="Slug (optional)" name="slug" error={error} hint="Names it in the events address. Default: made from the name.">
          {(control) => <input {...control} value={slug} onChange={(e) => setSlug(e.target.value)} maxLength={40} pattern="[a-zA-Z0-9_\-]+" />}
        </Field>
        <Field label="Kind" name="kind" error={error}>
          {(control) => (
            <select {...control} value={kind} onChange={(e) => setKind(e.target.value as SourceKind)}>
              {SOURCE_KINDS.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <SecretField
        label={kind === "zendesk" ? "Zendesk's signing secret" : "Secret (optional)"}
        value={secret}
        onChange={setSecret}
        error={error}
        required={kind === "zendesk"}
        hint={
          kind === "zendesk"
            ? "Zendesk makes the secret: copy it from the webhook's page in Zendesk."
            : "Leave it empty for a new random one, shown once after creating."
        }
      />
      <FormError error={generalError(error, ["name", "slug", "kind", "secret"])} />
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={create.isPending || !name.trim()}>
          {create.isPending ? "Creating…" : "Create source"}
        </button>
        <button type="button" className="button" onClick={onCancel} disabled={create.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type TableProps = {
  sources: ReturnType<typeof useSources>;
  shown: Shown;
  onShow: (shown: Shown) => void;
  onDone: (message: string) => void;
  onRotated: (source: Source, secret: string) => void;
};

function SourceTable({ sources, shown, onShow, onDone, onRotated }: TableProps) {
  const update = useUpdateSource();
  return (
    <PagedTable
      query={sources}
      loading="Loading sources…"
      empty={
        <span>
          No source yet. Create one here, or with <code>manage.py create_integration_source NAME</code>, for each system that
          sends events.
        </span>
      }
      caption="Integration sources, by slug."
      className="sources-table"
      columns={["Name", "Slug", "Kind", "Active", "Events address", "Created", { label: "Actions", hidden: true }]}
      row={(source, nameId) => {
        const url = absolute(source.events_url);
        const open = shown?.id === source.id ? shown.kind : null;
        const switching = update.isPending && update.variables?.id === source.id && "active" in update.variables.changes;
        return (
          <>
            <tr className={open ? "selected" : undefined}>
              <th scope="row" id={nameId}>
                {source.name}
              </th>
              <td>
                <code>{source.slug}</code>
              </td>
              <td>{KIND_LABEL[source.kind ?? "generic"]}</td>
              <td>
                <label className="inline switch">
                  <input
                    type="checkbox"
                    role="switch"
                    checked={!!source.active}
                    disabled={switching}
                    aria-label={`Receive events from ${source.name}`}
                    onChange={(e) => {
                      const active = e.target.checked;
                      update.mutate(
                        { id: source.id, changes: { active } },
                        {
                          onSuccess: () =>
                            onDone(active ? `${source.name} is on: its events are accepted.` : `${source.name} is off: its events are refused (404) until it is switched on.`),
                          onError: (error) => onDone(`${source.name} was not changed: ${error.message}`),
                        },
                      );
                    }}
                  />
                  <span aria-hidden="true">{source.active ? "on" : "off"}</span>
                </label>
              </td>
              <td className="address">
                <code className="break">{url}</code>
                <CopyButton text={url} label={`Copy the events address of ${source.name}`} />
              </td>
              <td>{formatWhen(source.created_at)}</td>
              <td className="actions">
                <RowToggle rowId={nameId} open={open === "setup"} onClick={() => onShow({ kind: "setup", id: source.id })}>
                  Setup
                </RowToggle>
                <Link className="button small" to={`/integrations/inbound?source=${encodeURIComponent(source.slug)}`} aria-describedby={nameId}>
                  Events
                </Link>
                <RowToggle rowId={nameId} open={open === "rotate"} onClick={() => onShow({ kind: "rotate", id: source.id })}>
                  Rotate secret
                </RowToggle>
              </td>
            </tr>
            {open && (
              <DetailsRow rowId={nameId}>
                {open === "setup" ? (
                  <SetupHints kind={source.kind} url={url} />
                ) : (
                  <Rotate source={source} onCancel={() => onShow(null)} onRotated={(secret) => onRotated(source, secret)} />
                )}
              </DetailsRow>
            )}
          </>
        );
      }}
    />
  );
}

function Rotate({ source, onCancel, onRotated }: { source: Source; onCancel: () => void; onRotated: (secret: string) => void }) {
  const update = useUpdateSource();
  const [secret, setSecret] = useState(source.kind === "zendesk" ? "" : randomSecret());
  return (
    <Confirm
      title={`Rotate the secret of ${source.name}?`}
      confirmLabel="Save the new secret"
      busy={update.isPending}
      error={generalError(update.error, ["secret"])}
      onCancel={onCancel}
      onConfirm={() => update.mutate({ id: source.id, changes: { secret } }, { onSuccess: () => onRotated(secret) })}
    >
      <p>
        From then on, requests signed with the old secret are refused: give the new one to the other system at the same time.
        {source.kind === "zendesk" && " For Zendesk, paste the webhook's new signing secret from Zendesk."}
      </p>
      <SecretField
        label="New secret"
        value={secret}
        onChange={setSecret}
        error={update.error}
        required
        hint={source.kind === "zendesk" ? "Zendesk's signing secret." : "A random one is made here; type your own if you prefer."}
      />
    </Confirm>
  );
}
