// A confirmation step shown in place, before an action that is hard to take back (promoting an adapter,
// deleting a subscription): it says what will happen, can ask for an optional reason, and shows the server's
// answer on failure.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ErrorMessage } from "./status";

type Props = {
  title: string;
  children: ReactNode;
  /** Ask for a reason to record with the event. */
  askReason?: boolean;
  /** The reason must be written before confirming (an override of a safety check). */
  reasonRequired?: boolean;
  reasonLabel?: string;
  confirmLabel?: string;
  cancelLabel?: string;
  busy: boolean;
  error: unknown;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
};

export function Confirm({
  title,
  children,
  askReason = false,
  reasonRequired = false,
  reasonLabel,
  confirmLabel = "Confirm",
  cancelLabel = "Cancel",
  busy,
  error,
  onConfirm,
  onCancel,
}: Props) {
  const titleId = useId();
  const bodyId = useId();
  const reasonId = useId();
  const missingId = useId();
  const [reason, setReason] = useState("");
  const [missing, setMissing] = useState(false);
  const panel = useRef<HTMLFormElement>(null);

  useEffect(() => {
    // Focus moves into the panel, and back to what opened it when it closes.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    panel.current?.querySelector<HTMLElement>("input, button[type=submit]")?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const written = reason.trim();
    setMissing(reasonRequired && !written);
    if (reasonRequired && !written) {
      panel.current?.querySelector<HTMLElement>("input")?.focus();
      return;
    }
    onConfirm(written);
  }

  return (
    <form
      noValidate
      ref={panel}
      className="confirm card"
      role="alertdialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape" && !busy) {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <h3 id={titleId}>{title}</h3>
      <div id={bodyId}>{children}</div>
      {(askReason || reasonRequired) && (
        <label htmlFor={reasonId}>
          {reasonLabel ?? (reasonRequired ? "Reason (required)" : "Reason (optional, recorded in the decisions log)")}
          <input
            id={reasonId}
            value={reason}
            maxLength={2000}
            onChange={(e) => {
              setReason(e.target.value);
              if (e.target.value.trim()) setMissing(false);
            }}
            disabled={busy}
            required={reasonRequired}
            aria-invalid={missing || undefined}
            aria-describedby={missing ? missingId : undefined}
          />
        </label>
      )}
      {missing && (
        <p id={missingId} className="form-error" role="alert">
          Write a reason first: it is recorded with the decision.
        </p>
      )}
      {error ? <ErrorMessage error={error} /> : null}
      <div className="confirm-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Working…" : confirmLabel}
        </button>
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          {cancelLabel}
        </button>
      </div>
    </form>
  );
}
