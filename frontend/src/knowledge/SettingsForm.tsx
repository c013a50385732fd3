// A document's settings: kind, language, owner, who may see it (audience), products and validity dates.
// Editors get a form that sends only what changed; readers get the same facts as a list.
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { QueryState } from "../ui/status";
import { useCanWrite, useOptions, useUpdateDocument, type Audience, type DocumentChanges, type KnowledgeDocument, type Option, type Options } from "./api";
import { Field, FieldError, FormError } from "../ui/form";
import { labelOf } from "./parts";

type Values = {
  kind: string;
  language: string;
  owner: string;
  audience: Audience;
  plans: string[];
  organizations: string[];
  roles: string[];
  products: string[];
  valid_from: string;
  valid_until: string;
};

export function valuesOf(document: KnowledgeDocument): Values {
  return {
    kind: document.kind ?? "policy",
    language: document.language ?? "en",
    owner: document.owner ?? "",
    audience: document.audience ?? "public",
    plans: [...document.audience_plans].sort(),
    organizations: [...document.audience_organizations].sort(),
    roles: [...(document.audience_roles ?? [])].sort(),
    products: [...document.products].sort(),
    valid_from: document.valid_from ?? "",
    valid_until: document.valid_until ?? "",
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Only the fields that differ from the document, in the shape PATCH takes. */
export function changesBetween(before: Values, after: Values): DocumentChanges {
  const body: Record<string, unknown> = {};
  const put = (name: keyof Values, value: unknown) => {
    if (!same(before[name], after[name])) body[name] = value;
  };
  put("kind", after.kind);
  put("language", after.language.trim());
  put("owner", after.owner || null);
  put("audience", after.audience);
  put("plans", after.plans);
  put("organizations", after.organizations);
  put("roles", after.roles);
  put("products", after.products);
  put("valid_from", after.valid_from || null);
  put("valid_until", after.valid_until || null);
  return body as DocumentChanges;
}

function Checklist({ legend, options, chosen, onChange, hint, error, filterable = false }: {
  legend: string;
  options: Option[];
  chosen: string[];
  onChange: (values: string[]) => void;
  hint?: ReactNode;
  error?: ReactNode;
  filterable?: boolean;
}) {
  const [filter, setFilter] = useState("");
  const known = new Set(options.map((o) => o.value));
  // Values the document holds that the option list lacks stay visible, so saving never drops them silently.
  const all = [...options, ...chosen.filter((value) => !known.has(value)).map((value) => ({ value, label: value }))];
  const needle = filter.trim().toLowerCase();
  const shown = needle ? all.filter((o) => o.label.toLowerCase().includes(needle) || o.value.includes(needle)) : all;
  const toggle = (value: string, on: boolean) => onChange(on ? [...chosen, value].sort() : chosen.filter((v) => v !== value));
  return (
    <fieldset className="kb-checklist">
      <legend>{legend}</legend>
      {hint && <p className="hint">{hint}</p>}
      {filterable && all.length > 8 && (
        <input type="search" aria-label={`Filter ${legend.toLowerCase()}`} placeholder="Filter…" value={filter} onChange={(e) => setFilter(e.target.value)} />
      )}
      <div className="kb-checklist-items">
        {shown.length === 0 && <span className="hint">None to choose from.</span>}
        {shown.map((option) => (
          <label className="inline" key={option.value}>
            <input type="checkbox" checked={chosen.includes(option.value)} onChange={(e) => toggle(option.value, e.target.checked)} />
            {option.label}
          </label>
        ))}
      </div>
      {error}
    </fieldset>
  );
}

function Form({ document, options }: { document: KnowledgeDocument; options: Options }) {
  const update = useUpdateDocument(document.id);
  const server = valuesOf(document);
  const [base, setBase] = useState(server);
  const [values, setValues] = useState(server);
  const [saved, setSaved] = useState("");
  const dirty = !same(values, base);
  // The page re-reads the document (while it indexes, for one): take the new values unless mid-edit.
  if (!same(server, base) && !dirty) {
    setBase(server);
    setValues(server);
  }
  const set = <K extends keyof Values>(name: K, value: Values[K]) => {
    setSaved("");
    setValues((current) => ({ ...current, [name]: value }));
  };
  const id = useId();

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = changesBetween(base, values);
    if (Object.keys(body).length === 0) return;
    update.mutate(body, {
      onSuccess: (document) => {
        const next = valuesOf(document);
        setBase(next);
        setValues(next);
        setSaved("Settings saved.");
      },
    });
  }

  const error = update.error;
  return (
    <form className="kb-settings" onSubmit={submit} aria-label="Document settings">
      <div className="kb-row">
        <Field label="Kind" error={error} name="kind">
          {(control) => (
            <select {...control} value={values.kind} onChange={(e) => set("kind", e.target.value)}>
              {options.kinds.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Language" error={error} name="language">
          {(control) => (
            <>
              <input {...control} value={values.language} size={6} onChange={(e) => set("language", e.target.value)} list={`${id}-languages`} />
              <datalist id={`${id}-languages`}>
                {options.languages.map((code) => (
                  <option key={code} value={code} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Owner" error={error} name="owner" className="kb-grow">
          {(control) => (
            <select {...control} value={values.owner} onChange={(e) => set("owner", e.target.value)}>
              <option value="">No owner</option>
              {values.owner && !options.owners.some((o) => o.value === values.owner) && <option value={values.owner}>{values.owner}</option>}
              {options.owners.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label} ({o.value})
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <fieldset className="kb-audience">
        <legend>Audience</legend>
        {options.audiences.map((o) => (
          <label className="inline" key={o.value}>
            <input type="radio" name={`${id}-audience`} value={o.value} checked={values.audience === o.value} onChange={() => set("audience", o.value as Audience)} />
            {o.label}
          </label>
        ))}
        <FieldError error={error} name="audience" />
      </fieldset>
      {values.audience === "plans" && (
        <Checklist legend="Plans" options={options.plans} chosen={values.plans} onChange={(v) => set("plans", v)} hint="Customers on these plans see it." error={<FieldError error={error} name="plans" />} />
      )}
      {values.audience === "organizations" && (
        <Checklist
          legend="Organizations"
          options={options.organizations}
          chosen={values.organizations}
          onChange={(v) => set("organizations", v)}
          hint="Customers of these organizations see it."
          filterable
          error={<FieldError error={error} name="organizations" />}
        />
      )}
      {values.audience === "internal" && (
        <Checklist
          legend="Staff roles"
          options={options.roles}
          chosen={values.roles}
          onChange={(v) => set("roles", v)}
          hint="Staff with these roles see it; administrators always do. Never shown to customers."
          error={<FieldError error={error} name="roles" />}
        />
      )}
      <Checklist
        legend="Products"
        options={options.products}
        chosen={values.products}
        onChange={(v) => set("products", v)}
        hint="None chosen: it applies to every product."
        filterable
        error={<FieldError error={error} name="products" />}
      />
      <div className="kb-row">
        <Field label="Valid from" error={error} name="valid_from">
          {(control) => <input {...control} type="date" value={values.valid_from} onChange={(e) => set("valid_from", e.target.value)} />}
        </Field>
        <Field label="Valid until" error={error} name="valid_until">
          {(control) => <input {...control} type="date" value={values.valid_until} onChange={(e) => set("valid_until", e.target.value)} />}
        </Field>
      </div>
      <FormError error={error} />
      <div className="kb-actions">
        <button type="submit" className="button primary" disabled={!dirty || update.isPending}>
          {update.isPending ? "Saving…" : "Save settings"}
        </button>
        <button type="button" className="button" disabled={!dirty || update.isPending} onClick={() => { setValues(base); update.reset(); }}>
          Undo changes
        </button>
        <span className="hint" role="status">
          {saved}
        </span>
      </div>
    </form>
  );
}

function Facts({ document, options }: { document: KnowledgeDocument; options: Options | undefined }) {
  const v = valuesOf(document);
  const audience = labelOf(options?.audiences, v.audience);
  const who =
    v.audience === "plans" ? v.plans.join(", ") : v.audience === "organizations" ? v.organizations.join(", ") : v.audience === "internal" ? v.roles.join(", ") : "";
  return (
    <dl className="kb-facts">
      <dt>Kind</dt>
      <dd>{labelOf(options?.kinds, v.kind)}</dd>
      <dt>Language</dt>
      <dd>{v.language}</dd>
      <dt>Owner</dt>
      <dd>{v.owner || "—"}</dd>
      <dt>Audience</dt>
      <dd>
        {audience}
        {who && `: ${who}`}
      </dd>
      <dt>Products</dt>
      <dd>{v.products.length ? v.products.join(", ") : "all"}</dd>
      <dt>Valid</dt>
      <dd>
        {v.valid_from || "always"} – {v.valid_until || "no end"}
      </dd>
    </dl>
  );
}

export function DocumentSettings({ document }: { document: KnowledgeDocument }) {
  const canWrite = useCanWrite();
  const options = useOptions();
  if (!canWrite) return <Facts document={document} options={options.data} />;
  return (
    <QueryState query={options} label="Loading choices…">
      {(data) => <Form document={document} options={data} />}
    </QueryState>
  );
}
