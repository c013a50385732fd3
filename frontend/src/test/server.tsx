// A stand-in for the API in unit tests: routes "METHOD /path" to a JSON answer, records every request.
import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactElement, ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { vi } from "vitest";
import { SessionProvider } from "../api/session";

export type Answer = { status?: number; body?: unknown } | ((request: Request, url: URL) => { status?: number; body?: unknown } | Promise<{ status?: number; body?: unknown }>);

export type Recorded = { method: string; path: string; search: string; body: unknown; headers: Headers };

export const AGENT = { id: 1, username: "agent", name: "Alex Agent", roles: ["agent"], scopes: ["assist", "knowledge:read", "tickets:read", "tickets:write"], teams: [] };
export const KNOWLEDGE_ADMIN = { id: 2, username: "knowledge", name: "Kim Knowledge", roles: ["knowledge_admin"], scopes: ["knowledge:read", "knowledge:write"], teams: [] };
export const ADMINISTRATOR = { id: 3, username: "admin", name: "Ada Admin", roles: ["administrator"], scopes: ["admin", "assist", "knowledge:read", "knowledge:write", "tickets:read", "tickets:write"], teams: [] };

/** Install a fake server. Keys are "GET /api/v1/tickets" (query string ignored) ; unknown routes answer 404. */
export function fakeServer(routes: Record<string, Answer>, user: unknown = AGENT) {
  const requests: Recorded[] = [];
  const all: Record<string, Answer> = {
    "GET /api/v1/auth/session": { body: { authenticated: !!user, user, csrf_token: "test-token" } },
    ...routes,
  };
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://test"), init);
    const url = new URL(request.url, "http://test");
    const text = request.method === "GET" ? "" : await request.clone().text().catch(() => "");
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* multipart or plain text: kept as text */
    }
    requests.push({ method: request.method, path: url.pathname, search: url.search, body, headers: request.headers });
    const answer = all[`${request.method} ${url.pathname}`];
    if (!answer) return new Response(JSON.stringify({ detail: "Not found.", code: "not_found" }), { status: 404, headers: { "Content-Type": "application/json" } });
    const { status = 200, body: out } = typeof answer === "function" ? await answer(request, url) : answer;
    return new Response(out === undefined ? null : JSON.stringify(out), { status, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { requests, fetch: fetchMock };
}

export function testClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 0 }, mutations: { retry: false } } });
}

/** Render `ui` signed in (through the fake session endpoint), at `path` matched by `route`. */
export function renderAt(ui: ReactElement, { path = "/", route = "*" }: { path?: string; route?: string } = {}) {
  const client = testClient();
  const wrap = (children: ReactNode) => (
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <SessionProvider fallback={<p>session…</p>}>
          <Routes>
            <Route path={route} element={children} />
          </Routes>
        </SessionProvider>
      </MemoryRouter>
    </QueryClientProvider>
  );
  return { client, ...render(wrap(ui)) };
}

/** A paginated list answer, the way the API pages lists. */
export function page<T>(results: T[]) {
  return { count: results.length, next: null, previous: null, results };
}
