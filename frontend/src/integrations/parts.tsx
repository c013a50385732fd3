// Pieces the integrations pages share: status badges, copying to the clipboard, a secret shown once, a
// random secret made in the browser (and the field that takes one), and the short setup notes for each kind
// of source.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Field } from "../ui/form";
import type { InboundStatus, OutboundStatus, SourceKind } from "./api";

const OUTBOUND_TONE: Record<OutboundStatus, string> = { pending: "info", sending: "info", retrying: "warn", delivered: "good", dead: "bad" };

export function OutboundStatusBadge({ status }: { status: OutboundStatus | undefined }) {
  const value = status ?? "pending";
  return (
    <span className={`badge ${OUTBOUND_TONE[value]}`}>
      {value === "sending" && <span className="pulse" aria-hidden="true" />}
      {value}
    </span>
  );
}

const INBOUND_TONE: Record<InboundStatus, string> = { processed: "good", failed: "bad", ignored: "" };

export function InboundStatusBadge({ status }: { status: InboundStatus }) {
  return <span className={`badge ${INBOUND_TONE[status] ?? ""}`}>{status}</span>;
}

/** A random secret made here (crypto.getRandomValues): 32 bytes as 43 URL-safe characters. */
export function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The address a source's events go to, whole, as it is pasted into the other system. */
export function absolute(path: string): string {
  return new URL(path, window.location.origin).toString();
}

/** A button that copies `text`, and says whether it worked (a browser may refuse the clipboard). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState("");
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setSaid("Copied.");
    } catch {
      setSaid("The browser did not allow copying: select the text and copy it.");
    }
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setSaid(""), 4000);
  }
  return (
    <span className="copy">
      <button type="button" className="button small" aria-label={label} onClick={() => void copy()}>
        Copy
      </button>
      <span className="hint" role="status">
        {said}
      </span>
    </span>
  );
}

/** A secret the server will not show again: on screen until the administrator says it is stored. */
export function SecretOnce({ title, secret, onDone, children }: { title: string; secret: string; onDone: () => void; children?: ReactNode }) {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="secret-once" aria-labelledby={headingId}>
      <h3 id={headingId} ref={heading} tabIndex={-1}>
        {title}
      </h3>
      <p>
        <strong>Store this secret now: it is not shown again.</strong> Give it to the system on the other end; if it is lost,
        set a new one.
      </p>
      <div className="secret-value">
        <code aria-label="Signing secret">{secret}</code>
        <CopyButton text={secret} label="Copy the secret" />
      </div>
      {children}
      <div>
        <button type="button" className="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </section>
  );
}

/** What to paste where in the other system, for each kind of source (see README.md, "Ticketing integrations"). */
export function SetupHints({ kind, url }: { kind: SourceKind | undefined; url: string }) {
  const address = <code className="break">{url}</code>;
  if (kind === "zendesk") {
    return (
      <div className="setup-hints">
        <p>
          In Zendesk, <em>Admin Center → Apps and integrations → Webhooks</em>: create a webhook with the endpoint {address},
          subscribed to the ticket and user events. Zendesk makes the signing secret: paste it here as the source's secret.
        </p>
        <p className="hint">Requests are checked against X-Zendesk-Webhook-Signature and refused when older than 5 minutes.</p>
      </div>
    );
  }
  if (kind === "freshdesk") {
    return (
      <div className="setup-hints">
        <p>
          Freshdesk cannot sign its webhooks. In an automation rule on ticket creation and one on ticket updates, add a
          "Trigger webhook" action: <code>POST</code> to {address}, JSON, with the header <code>X-Openbook-Token</code> set to
          the source's secret (or basic auth with the secret as the password).
        </p>
        <p className="hint">
          Send "simple" content with the ticket's id, subject, description, status, priority and tags, the requester's id,
          e-mail and name, the latest public comment and the triggered event.
        </p>
      </div>
    );
  }
  return (
    <div className="setup-hints">
      <p>
        <code>POST</code> each event as JSON to {address} with <code>X-Openbook-Delivery</code> (a unique id),{" "}
        <code>X-Openbook-Timestamp</code> (Unix seconds) and <code>X-Openbook-Signature</code>:{" "}
        <code>sha256=</code> and the hex HMAC-SHA256 of <code>timestamp + "." + body</code> with the secret.
      </p>
      <p className="hint">Each delivery id is applied once; timestamps older than 5 minutes are refused.</p>
    </div>
  );
}

/** A secret typed or pasted in, or made here with a button. */
export function SecretField({ label, value, onChange, error, hint, required = false }: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: unknown;
  hint: string;
  required?: boolean;
}) {
  return (
    <div className="secret-field">
      <Field label={label} name="secret" error={error} hint={`${hint} At least 16 characters.`} className="grow">
        {(control) => (
          <input {...control} value={value} onChange={(e) => onChange(e.target.value)} minLength={16} maxLength={128} required={required} autoComplete="off" spellCheck={false} className="mono" />
        )}
      </Field>
      <button type="button" className="button small" onClick={() => onChange(randomSecret())}>
        Generate a secret
      </button>
    </div>
  );
}

/** A card's heading with the button that opens (and closes) its form for a new one. */
export function CardHead({
  headingId,
  title,
  newLabel,
  open,
  formId,
  onToggle,
}: {
  headingId: string;
  title: string;
  newLabel: string;
  open: boolean;
  formId: string;
  onToggle: () => void;
}) {
  return (
    <div className="section-head">
      <h2 id={headingId}>{title}</h2>
      <button
        type="button"
        className="button primary small"
        aria-expanded={open}
        aria-controls={open ? formId : undefined}
        onClick={onToggle}
      >
        {newLabel}
      </button>
    </div>
  );
}

/** A list filter: one of `choices`, or any (the empty value). */
export function ChoiceFilter({
  label,
  value,
  any,
  choices,
  onChange,
}: {
  label: string;
  value: string | undefined;
  any: string;
  choices: readonly string[];
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {label}
      <select value={value ?? ""} onChange={(e) => onChange(e.target.value)}>
        <option value="">{any}</option>
        {choices.map((choice) => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    </label>
  );
}
