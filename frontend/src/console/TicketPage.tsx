// One ticket: the conversation, its controls, the reply box, the customer panel and the assist panel.
import { formatWhen } from "../ui/format";
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ErrorMessage, Loading } from "../ui/status";
import { useShortcut } from "../ui/shortcuts";
import {
  label,
  PRIORITIES,
  useMarkRead,
  useMessages,
  useSuggestions,
  useTeams,
  useTicket,
  useTicketUpdate,
  type Message,
  type Ticket,
} from "./api";
import { AssistPanel } from "./AssistPanel";
import { PriorityBadge, SlaBadge, StatusBadge } from "./badges";
import { Composer, type ReplyState } from "./Composer";
import { CustomerPanel } from "./CustomerPanel";
import { ShortcutHelp } from "./ShortcutHelp";

function Conversation({ messages }: { messages: readonly Message[] }) {
  const end = useRef<HTMLLIElement>(null);
  const count = messages.length;
  useEffect(() => {
    // Braces matter: newer browsers return a promise from scrollIntoView, which React would take for a
    // cleanup function.
    end.current?.scrollIntoView?.({ block: "nearest" });
  }, [count]);
  if (!messages.length) return <p className="hint">No messages yet.</p>;
  return (
    <ol className="conversation" aria-label="Conversation">
      {messages.map((m) => {
        const kind = !m.public ? "note" : m.author_kind;
        return (
          <li key={m.id} className={`message message-${kind}`}>
            <div className="message-head">
              <strong>{m.author}</strong>{" "}
              <span className={`badge ${kind === "note" ? "warn" : kind === "customer" ? "info" : ""}`}>
                {kind === "note" ? "Internal note" : kind === "customer" ? "Customer" : kind === "agent" ? "Public reply" : label(kind ?? "")}
              </span>{" "}
              <time dateTime={m.created_at} className="hint">
                {formatWhen(m.created_at)}
              </time>
            </div>
            <div className="message-body">{m.body}</div>
          </li>
        );
      })}
      <li ref={end} aria-hidden="true" className="conversation-end" />
    </ol>
  );
}

function Controls({ ticket }: { ticket: Ticket }) {
  const update = useTicketUpdate(ticket.id);
  const teams = useTeams();
  const members = teams.data?.find((t) => t.id === ticket.team.id)?.members ?? [];
  const statuses = [ticket.status ?? "new", ...(ticket.allowed_transitions ?? [])];
  return (
    <div className="controls" role="group" aria-label="Ticket controls">
      <label>
        Status
        <select value={ticket.status} disabled={update.isPending} onChange={(e) => update.mutate({ status: e.target.value as never })}>
          {statuses.map((s) => (
            <option key={s} value={s}>{label(s)}</option>
          ))}
        </select>
      </label>
      <label>
        Priority
        <select value={ticket.priority} disabled={update.isPending} onChange={(e) => update.mutate({ priority: e.target.value as never })}>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>{label(p)}</option>
          ))}
        </select>
      </label>
      <label>
        Assignee
        <select
          value={ticket.assignee?.id ?? ""}
          disabled={update.isPending || teams.isPending}
          onChange={(e) => update.mutate({ assignee: e.target.value ? Number(e.target.value) : null })}
        >
          <option value="">Unassigned</option>
          {ticket.assignee && !members.some((m) => m.id === ticket.assignee!.id) && (
            <option value={ticket.assignee.id}>{ticket.assignee.name}</option>
          )}
          {members.map((m) => (
            <option key={m.id} value={m.id}>{m.name}</option>
          ))}
        </select>
      </label>
      {update.isPending && <span className="hint" role="status">Saving…</span>}
      {update.isError && <ErrorMessage error={update.error} />}
    </div>
  );
}

export function TicketPage() {
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const ticket = useTicket(id);
  const messages = useMessages(id);
  const suggestions = useSuggestions(id);
  const markRead = useMarkRead(id);
  const [reply, setReply] = useState<ReplyState>({ text: "", suggestion: null, internal: false });

  // Opening the ticket (and every new message while it is open) marks it read.
  const lastMessage = messages.data?.results.at(-1)?.id;
  const mark = markRead.mutate;
  useEffect(() => {
    if (ticket.isSuccess && Number.isFinite(id)) mark();
  }, [id, lastMessage, ticket.isSuccess, mark]);

  useShortcut("Escape", () => navigate("/tickets"));

  if (!Number.isFinite(id)) return <div className="page"><ErrorMessage error={new Error("No such ticket.")} /></div>;
  if (ticket.isPending) return <div className="page"><Loading label="Loading the ticket…" /></div>;
  if (ticket.isError) {
    return (
      <div className="page">
        <p><Link to="/tickets">← Back to the queue</Link></p>
        <ErrorMessage error={ticket.error} retry={() => void ticket.refetch()} />
      </div>
    );
  }
  const t = ticket.data;
  const draft = suggestions.data?.results.find((s) => s.id === reply.suggestion);
  return (
    <div className="ticket-page">
      <CustomerPanel ticket={t} />
      <section className="ticket-main" aria-labelledby="ticket-title">
        <div className="ticket-head card">
          <p className="crumbs"><Link to="/tickets">← Queue</Link> <span className="hint">#{t.id}</span></p>
          <h1 id="ticket-title">{t.subject}</h1>
          <div className="ticket-badges">
            <StatusBadge status={t.status} /> <PriorityBadge priority={t.priority} /> <SlaBadge due={t.sla_due_at} status={t.status} />
            <span className="hint">{t.team.name}</span>
            {t.products.map((p) => <span key={p} className="badge">{p}</span>)}
            {(t.tags ?? []).map((tag) => <span key={tag} className="badge">#{tag}</span>)}
          </div>
          <Controls ticket={t} />
        </div>
        <section className="card" aria-label="Messages">
          {messages.isPending ? <Loading label="Loading the conversation…" /> : messages.isError ? (
            <ErrorMessage error={messages.error} retry={() => void messages.refetch()} />
          ) : (
            <Conversation messages={messages.data.results} />
          )}
        </section>
        <Composer ticket={t} reply={reply} setReply={setReply} draft={draft} />
        <ShortcutHelp />
      </section>
      <AssistPanel
        ticket={id}
        messages={messages.data?.results ?? []}
        onInsert={(text, suggestion) => {
          setReply({ text, suggestion, internal: false });
          requestAnimationFrame(() => document.getElementById(`reply-${id}`)?.focus());
        }}
      />
    </div>
  );
}
