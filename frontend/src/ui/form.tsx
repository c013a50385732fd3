// Form pieces every page shares: a labelled control with the server's messages for it (the API answers
// {"detail", "code", "errors": {"field": [...]}}), and the general message of a failed submit.
import { useId, type ReactNode } from "react";
import { ApiError } from "../api/client";

export function fieldMessages(error: unknown, name: string): string[] {
  if (!(error instanceof ApiError)) return [];
  return Object.entries(error.fields)
    .filter(([key]) => key === name || key.startsWith(`${name}[`))
    .flatMap(([, messages]) => messages);
}

/** The server's messages for one field of a form, next to that field. */
export function FieldError({ error, name, id }: { error: unknown; name: string; id?: string }) {
  const messages = fieldMessages(error, name);
  if (messages.length === 0) return null;
  return (
    <span className="form-error field-error" id={id} role="alert">
      {messages.join(" ")}
    </span>
  );
}

type ControlProps = { id: string; "aria-invalid"?: true; "aria-describedby"?: string };

/** A labelled control with an optional hint and the server's messages for it underneath, both tied to it by
 * aria-describedby (and kept out of its label, so the control's name stays the same when an error shows). */
export function Field({ label, error, name, className, hint, children }: {
  label: string;
  error: unknown;
  name: string;
  className?: string;
  hint?: ReactNode;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const invalid = fieldMessages(error, name).length > 0;
  const describedBy = [hint ? `${id}-hint` : "", invalid ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": invalid || undefined, "aria-describedby": describedBy })}
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      <FieldError error={error} name={name} id={`${id}-error`} />
    </div>
  );
}

/** The error to show as the form's general message: none when the server's messages are all about fields the
 * form shows next to them (saying it twice helps nobody). */
export function generalError(error: unknown, fields: string[]): unknown {
  if (!(error instanceof ApiError)) return error;
  const keys = Object.keys(error.fields);
  const covered = keys.length > 0 && keys.every((key) => fields.some((name) => key === name || key.startsWith(`${name}[`)));
  return covered ? null : error;
}

/** The general message of a failed form submit, shown above its buttons. */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}
