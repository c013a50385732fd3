// The assist panel: ask for a draft, watch it stream, review its citations and flags, insert it, rate it.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { ErrorMessage, Loading, QueryState } from "../ui/status";
import { useShortcut } from "../ui/shortcuts";
import { requestDraft, useFeedback, usePrecedents, useSuggestions, type Message, type Suggestion } from "./api";
import { draftMeta, plainText } from "./draft";
import { AgentNote, DraftView, FlagList } from "./DraftView";
import { browserSource, followDraft, type DraftStream, type SourceFactory } from "./stream";

export function isStale(suggestion: Pick<Suggestion, "created_at" | "stale">, messages: readonly Message[]): boolean {
  if (suggestion.stale) return true;
  const asked = Date.parse(suggestion.created_at ?? "");
  return messages.some((m) => m.author_kind === "customer" && Date.parse(m.created_at ?? "") > asked);
}

const CUSTOMER_WROTE = "The customer wrote after this draft was made: it may not answer the latest message.";

/** Why a stale draft is stale: the server's reasons (a newer message, a policy updated since), or the
 * newer message this page has seen before the server said so. */
export function staleReason(suggestion: Pick<Suggestion, "created_at" | "stale" | "stale_reason">, messages: readonly Message[]): string {
  if (!isStale(suggestion, messages)) return "";
  const said = suggestion.stale_reason ?? "";
  const wrote = messages.some((m) => m.author_kind === "customer" && Date.parse(m.created_at ?? "") > Date.parse(suggestion.created_at ?? ""));
  const reasons = [wrote && !said.includes(CUSTOMER_WROTE) ? CUSTOMER_WROTE : "", said].filter(Boolean);
  return `${reasons.join(" ")} Draft again.`;
}

/** The line under a draft: what made it, how long it took, and the solved ticket it was based on. */
export function DraftMetaLine({ suggestion }: { suggestion: Suggestion }) {
  const meta = draftMeta(suggestion);
  return (
    <p className="hint draft-meta" title={meta.title}>
      {meta.precedent && (
        <>
          Based on the reply to <Link to={`/tickets/${meta.precedent.ticket}`}>#{meta.precedent.ticket}</Link> ({Math.round(meta.precedent.similarity * 100)} % similar) ·{" "}
        </>
      )}
      {meta.text}
    </p>
  );
}

function Thumb({ down = false }: { down?: boolean }) {
  return (
    <svg className="icon" viewBox="0 0 16 16" aria-hidden="true" style={down ? { transform: "rotate(180deg)" } : undefined}>
      <path d="M2 7h3v7H2zM6 14V7l3-5c1 0 2 .8 1.7 2L10 6.5h3.3c.9 0 1.5.8 1.3 1.6l-1.2 4.8c-.2.7-.8 1.1-1.5 1.1z" fill="currentColor" />
    </svg>
  );
}

const REASONS = ["", "Wrong facts", "Missing information", "Wrong tone", "Cited the wrong policy", "Too long", "Other"];

function Feedback({ suggestion, ticket }: { suggestion: Suggestion; ticket: number }) {
  const feedback = useFeedback(ticket);
  const [rating, setRating] = useState<"up" | "down" | "">((suggestion.rating as "up" | "down" | "") || "");
  const [reason, setReason] = useState(suggestion.feedback_reason ?? "");
  const [saved, setSaved] = useState(false);
  const save = (next: "up" | "down", why: string) => {
    setRating(next);
    setSaved(false);
    feedback.mutate({ id: suggestion.id, rating: next, reason: why }, { onSuccess: () => setSaved(true) });
  };
  return (
    <div className="feedback" role="group" aria-label="Rate this draft">
      <button type="button" className="button small" aria-pressed={rating === "up"} onClick={() => save("up", reason)} title="Good draft">
        <Thumb /> Helpful
      </button>
      <button type="button" className="button small" aria-pressed={rating === "down"} onClick={() => save("down", reason)} title="Bad draft">
        <Thumb down /> Not helpful
      </button>
      {rating && (
        <label className="inline">
          <span className="visually-hidden">Reason</span>
          <select aria-label="Reason" value={reason} onChange={(e) => { setReason(e.target.value); save(rating, e.target.value); }}>
            {REASONS.map((r) => (
              <option key={r} value={r}>{r || "Why? (optional)"}</option>
            ))}
          </select>
        </label>
      )}
      {feedback.isPending && <span className="hint">Saving…</span>}
      {saved && !feedback.isPending && <span className="hint" role="status">Thanks, noted.</span>}
      {feedback.isError && <ErrorMessage error={feedback.error} />}
    </div>
  );
}

function Precedents({ ticket }: { ticket: number }) {
  const query = usePrecedents(ticket);
  return (
    <section className="card" aria-labelledby="precedents-title">
      <h2 id="precedents-title">Similar solved tickets</h2>
      <QueryState query={query} label="Finding similar tickets…">
        {(data) =>
          data.results.length ? (
            <ol className="precedents">
              {data.results.map((p) => (
                <li key={p.id}>
                  <Link to={`/tickets/${p.id}`}>{p.subject}</Link>{" "}
                  <span className="badge info" title="Similarity of the conversations">{Math.round(p.similarity * 100)}%</span>
                  {p.resolution && <div className="hint">Resolution: {p.resolution}</div>}
                  {p.reply && <blockquote className="precedent-reply">{p.reply}</blockquote>}
                </li>
              ))}
            </ol>
          ) : (
            <p className="hint">{data.notice ?? "No similar solved ticket yet."}</p>
          )
        }
      </QueryState>
    </section>
  );
}

type Props = {
  ticket: number;
  messages: readonly Message[];
  onInsert: (text: string, suggestion: number) => void;
  openSource?: SourceFactory;
};

export function AssistPanel({ ticket, messages, onInsert, openSource = browserSource }: Props) {
  const client = useQueryClient();
  const suggestions = useSuggestions(ticket);
  const latest = suggestions.data?.results[0];
  const [asking, setAsking] = useState(false);
  const [askError, setAskError] = useState<unknown>(null);
  const [stream, setStream] = useState<{ id: number; state: DraftStream } | null>(null);

  // Follow the newest draft while it is being generated (also one asked for before this page was opened).
  const following = latest && (latest.status === "pending" || latest.status === "running") ? latest.id : null;
  useEffect(() => {
    if (following === null) return;
    return followDraft(
      following,
      (state) => {
        setStream({ id: following, state });
        if (state.status !== "streaming") void client.invalidateQueries({ queryKey: ["suggestions", ticket] });
      },
      openSource,
    );
  }, [following, ticket, client, openSource]);

  async function draft() {
    setAsking(true);
    setAskError(null);
    setStream(null);
    try {
      const pending = await requestDraft(ticket);
      client.setQueryData(["suggestions", ticket], (old: typeof suggestions.data) => ({
        ...(old ?? { count: 0, next: null, previous: null }),
        results: [pending, ...(old?.results ?? [])],
      }));
    } catch (error) {
      setAskError(error);
    } finally {
      setAsking(false);
    }
  }

  const live = stream && latest && stream.id === latest.id ? stream.state : null;
  const text = live && live.status === "streaming" ? live.text : latest?.text || live?.text || "";
  const ready = latest?.status === "ready" || live?.status === "done";
  const citations = latest?.status === "ready" ? latest.citations : live?.citations ?? [];
  const flags = latest?.status === "ready" ? latest.flags : live?.flags ?? [];
  const failed = latest?.status === "failed" ? latest.error : live?.status === "error" ? live.error : "";
  const busy = asking || (!!latest && (latest.status === "pending" || latest.status === "running") && !failed);

  useShortcut("d", () => !busy && void draft());
  // The reply box gets the text as the customer will read it: Markdown marks out, citation markers kept.
  useShortcut("i", () => latest && ready && text && onInsert(plainText(text), latest.id));
  const stale = latest && ready ? staleReason(latest, messages) : "";

  return (
    <aside className="assist" aria-labelledby="assist-title">
      <section className="card">
        <div className="assist-head">
          <h2 id="assist-title">Assist</h2>
          <button type="button" className="button primary" onClick={() => void draft()} disabled={busy} aria-keyshortcuts="d">
            {busy ? "Drafting…" : latest ? "Draft again" : "Draft reply"} <kbd>d</kbd>
          </button>
        </div>
        {suggestions.isPending && <Loading label="Loading drafts…" />}
        {suggestions.isError && <ErrorMessage error={suggestions.error} retry={() => void suggestions.refetch()} />}
        {askError ? <ErrorMessage error={askError} /> : null}
        {!latest && suggestions.isSuccess && !asking && (
          <p className="hint">Ask for a draft grounded in this customer's context and the policy library.</p>
        )}
        {latest && (
          <div className="draft" aria-live="polite" aria-busy={busy}>
            {stale && (
              <p className="stale" role="alert">
                {stale}
              </p>
            )}
            {failed ? (
              <ErrorMessage error={new Error(failed)} />
            ) : text ? (
              ready ? (
                <DraftView text={text} citations={citations} flags={flags} />
              ) : (
                <div className="draft-text streaming" data-testid="streaming-draft">
                  {text}
                  <span className="caret" aria-hidden="true" />
                </div>
              )
            ) : (
              <Loading label="Gathering the customer's context and the policies…" />
            )}
            {ready && !failed && (
              <>
                <FlagList flags={flags} citations={citations} />
                <AgentNote note={latest.agent_note ?? ""} />
                <div className="draft-actions">
                  <button type="button" className="button" onClick={() => onInsert(plainText(text), latest.id)} aria-keyshortcuts="i">
                    Insert into reply <kbd>i</kbd>
                  </button>
                  {latest.sent_at && <span className="badge good">Sent ({latest.outcome})</span>}
                </div>
                <Feedback key={latest.id} suggestion={latest} ticket={ticket} />
                <DraftMetaLine suggestion={latest} />
              </>
            )}
          </div>
        )}
      </section>
      <Precedents ticket={ticket} />
    </aside>
  );
}
