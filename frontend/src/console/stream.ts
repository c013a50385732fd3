// The draft as it is generated: server-sent events `token` (more text), then `done` or `error`.
import type { Citation, Flag } from "./api";

export type DraftStream = {
  status: "streaming" | "done" | "error";
  text: string;
  citations: Citation[];
  flags: Flag[];
  error: string;
};

/** What is used of an EventSource (tests pass a stand-in). */
export type SourceLike = {
  addEventListener(name: string, listener: (event: Event) => void): void;
  close(): void;
  readonly readyState: number;
};

export type SourceFactory = (url: string) => SourceLike;

export const browserSource: SourceFactory = (url) => new EventSource(url, { withCredentials: true });

/** Follow a draft's stream; `update` gets the whole state after every event. Returns a function that stops. */
export function followDraft(
  suggestion: number,
  update: (state: DraftStream) => void,
  open: SourceFactory = browserSource,
): () => void {
  let state: DraftStream = { status: "streaming", text: "", citations: [], flags: [], error: "" };
  const source = open(`/api/v1/suggestions/${suggestion}/stream`);
  const set = (next: Partial<DraftStream>) => {
    state = { ...state, ...next };
    update(state);
  };
  const data = (event: Event) => {
    try {
      return JSON.parse((event as MessageEvent).data ?? "{}");
    } catch {
      return {};
    }
  };
  source.addEventListener("token", (event) => set({ text: state.text + (data(event).text ?? "") }));
  source.addEventListener("done", (event) => {
    const done = data(event);
    source.close();
    set({ status: "done", text: done.text ?? state.text, citations: done.citations ?? [], flags: done.flags ?? [] });
  });
  source.addEventListener("error", (event) => {
    const message = data(event).message;
    // A named `error` event ends the draft; a connection error without data is retried by the browser
    // (it resumes after the last event it saw).
    if (message) {
      source.close();
      set({ status: "error", error: message });
    } else if (source.readyState === 2 && state.status === "streaming") {
      set({ status: "error", error: "The connection to the draft was lost. Reload the ticket to see it." });
    }
  });
  return () => source.close();
}
