// The one door to the REST API: typed by the OpenAPI schema, session cookie plus CSRF header on writes,
// and every failure turned into an ApiError carrying the server's own message.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const UNREACHABLE = "The server could not be reached. Check your connection.";

export class ApiError extends Error {
  status: number;
  code: string;
  fields: Record<string, string[]>;

  constructor(status: number, message: string, code = "error", fields: Record<string, string[]> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

let csrfToken = "";
let onUnauthenticated: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

function cookie(name: string): string {
  const match = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
}

function csrfHeader(): Record<string, string> {
  return { "X-CSRFToken": csrfToken || cookie("csrftoken") };
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (!["GET", "HEAD", "OPTIONS"].includes(request.method)) {
      for (const [name, value] of Object.entries(csrfHeader())) request.headers.set(name, value);
    }
    return request;
  },
};

// fetch is looked up at call time, so tests can stand in for the server.
export const api = createClient<paths>({
  baseUrl: window.location.origin,
  credentials: "same-origin",
  fetch: (request) => globalThis.fetch(request),
});
api.use(csrf);

/** The error body every endpoint answers with: {detail, code, errors?}. */
export function errorFrom(status: number, body: unknown): ApiError {
  if (body && typeof body === "object") {
    const { detail, code, errors } = body as { detail?: unknown; code?: unknown; errors?: unknown };
    const fields = (errors && typeof errors === "object" ? errors : {}) as Record<string, string[]>;
    const first = Object.entries(fields)[0];
    let message = typeof detail === "string" && detail ? detail : `The server answered ${status}.`;
    if (first && (!detail || detail === "Invalid input.")) message = `${first[0]}: ${first[1].join(" ")}`;
    return new ApiError(status, message, typeof code === "string" ? code : "error", fields);
  }
  if (status === 0) return new ApiError(0, UNREACHABLE);
  return new ApiError(status, `The server answered ${status}.`);
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful call, or an ApiError thrown with the server's message. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, UNREACHABLE);
  }
  if (result.response.ok) return result.data as T;
  const failure = errorFrom(result.response.status, result.error);
  if (result.response.status === 401 || (result.response.status === 403 && failure.code === "not_authenticated")) {
    onUnauthenticated();
  }
  throw failure;
}

/** Post multipart form data (openapi-fetch sends JSON) with the CSRF header: the status and the decoded
 * body, whatever the status, for callers whose error answers carry results (an upload's per-file list). */
export async function postForm(url: string, form: FormData): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await globalThis.fetch(url, { method: "POST", body: form, credentials: "same-origin", headers: csrfHeader() });
  } catch {
    throw new ApiError(0, UNREACHABLE);
  }
  return { status: response.status, body: await response.json().catch(() => null) };
}
