// The reply box: the agent's own words or an inserted draft, sent as a public reply or an internal note. A
// reply from a draft is checked as the agent types (the claims no source backs), and sending it with flags
// open takes a confirmation.
import { useRef, useState, type FormEvent } from "react";
import { ErrorMessage } from "../ui/status";
import { useShortcut } from "../ui/shortcuts";
import { label, OpenFlagsError, useReplyCheck, useSendReply, useTicketUpdate, type Flag, type Suggestion, type Ticket, type TicketStatus } from "./api";
import { flaggedSentences } from "./draft";
import { DraftView, FlagList } from "./DraftView";

export type ReplyState = { text: string; suggestion: number | null; internal: boolean };

type Props = {
  ticket: Ticket;
  reply: ReplyState;
  setReply: (reply: ReplyState) => void;
  draft: Suggestion | undefined;
};

function needCheck(flags: readonly Flag[]): string {
  const sentences = flaggedSentences(flags).length;
  return sentences === 1 ? "1 sentence of your reply needs a check." : `${sentences} sentences of your reply need a check.`;
}

/** What the live check says of the reply the agent is writing from a draft. */
function ReplyCheck({ flags, checking }: { flags: readonly Flag[] | undefined; checking: boolean }) {
  if (!flags) return checking ? <p className="hint reply-check">Checking your reply…</p> : null;
  if (!flaggedSentences(flags).length) {
    return (
      <p className="hint good-text reply-check" role="status">
        Nothing in your reply needs a check.
      </p>
    );
  }
  return (
    <details className="reply-check" open>
      <summary>{needCheck(flags)}</summary>
      <FlagList flags={flags} citations={[]} summary={false} />
    </details>
  );
}

export function Composer({ ticket: current, reply, setReply, draft }: Props) {
  const ticket = current.id;
  const closed = current.status === "closed";
  const send = useSendReply(ticket);
  const update = useTicketUpdate(ticket);
  const [then, setThen] = useState<TicketStatus | "">("");
  // The flags the server answered a send with, for the agent to confirm or go back to editing.
  const [open, setOpen] = useState<{ text: string; flags: Flag[] } | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const fromDraft = reply.suggestion !== null && draft?.id === reply.suggestion;
  const checked = fromDraft && !reply.internal ? reply.suggestion : null;
  const check = useReplyCheck(checked, reply.text);
  const next = (current.allowed_transitions ?? []) as TicketStatus[];
  const confirming = open !== null && open.text === reply.text;

  function submit(event?: FormEvent, confirm = false) {
    event?.preventDefault();
    if (!reply.text.trim() || send.isPending) return;
    send.mutate(
      { ...reply, confirm },
      {
        onSuccess: () => {
          setOpen(null);
          setReply({ text: "", suggestion: null, internal: false });
          // "Send and set pending": the status changes only once the reply is stored.
          if (then && next.includes(then)) update.mutate({ status: then as never });
          setThen("");
        },
        onError: (error) => {
          if (error instanceof OpenFlagsError) setOpen({ text: reply.text, flags: error.flags });
        },
      },
    );
  }
  useShortcut("mod+Enter", () => submit());
  useShortcut("r", () => box.current?.focus());

  return (
    <form className="card composer" onSubmit={submit} aria-labelledby="composer-title">
      <div className="composer-head">
        <h2 id="composer-title">{reply.internal ? "Internal note" : "Reply"}</h2>
        <label className="inline">
          <input type="checkbox" checked={reply.internal} onChange={(e) => setReply({ ...reply, internal: e.target.checked })} />
          Internal note (the customer never sees it)
        </label>
      </div>
      <label className="visually-hidden" htmlFor={`reply-${ticket}`}>
        {reply.internal ? "Internal note" : "Reply to the customer"}
      </label>
      <textarea
        id={`reply-${ticket}`}
        ref={box}
        rows={8}
        value={reply.text}
        disabled={closed}
        placeholder={closed ? "This ticket is closed." : "Write a reply, or insert the draft (i). Press r to come here."}
        onChange={(e) => setReply({ ...reply, text: e.target.value })}
        className={reply.internal ? "note-input" : undefined}
      />
      {fromDraft && draft && /\[\d+\]/.test(reply.text) && (
        <details className="composer-preview">
          <summary>Preview with citations</summary>
          <DraftView text={reply.text} citations={draft.citations} flags={draft.flags} />
        </details>
      )}
      {checked !== null && reply.text.trim() && !confirming && <ReplyCheck flags={check.data?.flags} checking={check.isFetching} />}
      {confirming && open && (
        <section className="send-confirm" role="alertdialog" aria-labelledby={`confirm-${ticket}`}>
          <p id={`confirm-${ticket}`}>
            <strong>{needCheck(open.flags)} Send it anyway?</strong> The flags are recorded with the reply.
          </p>
          <FlagList flags={open.flags} citations={[]} summary={false} />
          <div className="send-confirm-actions">
            <button type="button" className="button" onClick={() => { setOpen(null); box.current?.focus(); }}>
              Keep editing
            </button>
            <button type="button" className="button primary" disabled={send.isPending} onClick={() => submit(undefined, true)}>
              Send anyway
            </button>
          </div>
        </section>
      )}
      {send.isError && !(send.error instanceof OpenFlagsError) && <ErrorMessage error={send.error} />}
      {update.isError && <ErrorMessage error={update.error} />}
      <div className="composer-actions">
        {fromDraft && (
          <span className="hint">
            From draft #{reply.suggestion}: the customer gets it without the citation markers; your edits are
            recorded to improve drafts.{" "}
            <button type="button" className="button small" onClick={() => setReply({ ...reply, suggestion: null })}>
              Detach
            </button>
          </span>
        )}
        {next.length > 0 && (
          <label className="inline">
            then
            <select aria-label="Status after sending" value={then} onChange={(e) => setThen(e.target.value as TicketStatus | "")}>
              <option value="">keep {label(current.status ?? "new").toLowerCase()}</option>
              {next.map((status) => (
                <option key={status} value={status}>
                  set {label(status).toLowerCase()}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="submit" className="button primary" disabled={!reply.text.trim() || send.isPending || closed} aria-keyshortcuts="Control+Enter">
          {send.isPending ? "Sending…" : reply.internal ? "Add note" : "Send reply"} <kbd>Ctrl+Enter</kbd>
        </button>
      </div>
    </form>
  );
}
