import { describe, expect, it } from "vitest";
import { followDraft, type DraftStream } from "./stream";

class FakeSource {
  url: string;
  readyState = 1;
  closed = false;
  listeners: Record<string, ((event: Event) => void)[]> = {};
  constructor(url: string) {
    this.url = url;
  }
  addEventListener(name: string, listener: (event: Event) => void) {
    (this.listeners[name] ??= []).push(listener);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(name: string, data?: unknown) {
    const event = data === undefined ? new Event(name) : new MessageEvent(name, { data: JSON.stringify(data) });
    this.listeners[name]?.forEach((listener) => listener(event));
  }
}

describe("following a draft", () => {
  it("grows the text token by token, then takes the checked draft and closes", () => {
    let source!: FakeSource;
    const states: DraftStream[] = [];
    followDraft(7, (s) => states.push(s), (url) => (source = new FakeSource(url)));
    expect(source.url).toBe("/api/v1/suggestions/7/stream");
    source.emit("token", { text: "Hello " });
    source.emit("token", { text: "there [1]" });
    expect(states.at(-1)).toMatchObject({ status: "streaming", text: "Hello there [1]" });
    const citation = { marker: 1, document_id: 2, version_id: 3, chunk_id: 4, title: "Refunds", heading: "", quote: "q" };
    source.emit("done", { text: "Hello there [1].", citations: [citation], flags: [] });
    expect(states.at(-1)).toMatchObject({ status: "done", text: "Hello there [1].", citations: [citation] });
    expect(source.closed).toBe(true);
  });

  it("reports the server's error, and a lost connection once the browser gives up", () => {
    let source!: FakeSource;
    const states: DraftStream[] = [];
    followDraft(1, (s) => states.push(s), (url) => (source = new FakeSource(url)));
    source.emit("error", { message: "No model is configured." });
    expect(states.at(-1)).toMatchObject({ status: "error", error: "No model is configured." });

    const lost: DraftStream[] = [];
    followDraft(2, (s) => lost.push(s), (url) => (source = new FakeSource(url)));
    source.emit("error"); // the browser will reconnect: nothing to say yet
    expect(lost).toEqual([]);
    source.readyState = 2;
    source.emit("error");
    expect(lost.at(-1)?.status).toBe("error");
  });
});
