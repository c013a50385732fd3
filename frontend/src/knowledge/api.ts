// The knowledge API as react-query hooks: documents, versions, options, uploads and search.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, errorFrom, postForm, unwrap, type Schemas } from "../api/client";
import { hasScope, useSession } from "../api/session";

export type KnowledgeDocument = Schemas["DocumentOutput"];
export type Indexing = Schemas["IndexingOutput"];
export type Version = Schemas["VersionOutput"];
export type VersionDetail = Schemas["VersionDetailOutput"];
export type VersionRef = Schemas["VersionRefOutput"];
export type Options = Schemas["OptionsOutput"];
export type Option = Schemas["OptionOutput"];
export type UploadResult = Schemas["UploadOutput"];
export type VersionWarning = Schemas["WarningOutput"];
export type SearchAnswer = Schemas["SearchOutput"];
export type SearchResult = Schemas["SearchResultOutput"];
export type DocumentChanges = Schemas["PatchedDocumentUpdateInputRequest"];
export type NewDocument = Schemas["DocumentInputRequest"];
export type Kind = Schemas["DocumentKindEnum"];
export type Status = Schemas["DocumentStatusEnum"];
export type Audience = Schemas["AudienceEnum"];
export type Role = Schemas["RoleEnum"];
export type Customer = Schemas["CustomerOutput"];

/** How often a page re-reads while something on it is still being indexed. */
export const POLL_MS = 2_000;
export const PAGE_SIZE = 25;

export const keys = {
  all: ["knowledge"] as const,
  documents: (filters: DocumentFilters) => ["knowledge", "documents", filters] as const,
  document: (id: number) => ["knowledge", "document", id] as const,
  versions: (id: number) => ["knowledge", "versions", id] as const,
  version: (id: number, number: number) => ["knowledge", "version", id, number] as const,
  refs: (ids: number[]) => ["knowledge", "refs", ids] as const,
  options: ["knowledge", "options"] as const,
  search: (params: SearchParams) => ["knowledge", "search", params] as const,
  customers: (search: string) => ["knowledge", "customers", search] as const,
};

export function useCanWrite(): boolean {
  return hasScope(useSession().user, "knowledge:write");
}

/** Still on its way to search: its chunks wait for vectors. */
export function isIndexing(state: string | undefined): boolean {
  return state === "queued" || state === "embedding";
}

// --- documents ------------------------------------------------------------------------------------------

export type DocumentFilters = {
  search?: string;
  kind?: Kind;
  status?: Status;
  audience?: Audience;
  product?: string;
  language?: string;
  state?: Schemas["VersionStateEnum"];
  has_warnings?: "true" | "false";
  page?: number;
};

export function useDocuments(filters: DocumentFilters) {
  return useQuery({
    queryKey: keys.documents(filters),
    queryFn: () =>
      unwrap(api.GET("/api/v1/knowledge/documents", { params: { query: { ...filters, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.results.some((d) => isIndexing(d.indexing.state)) ? POLL_MS : false),
  });
}

export function useDocument(id: number) {
  return useQuery({
    queryKey: keys.document(id),
    queryFn: () => unwrap(api.GET("/api/v1/knowledge/documents/{id}", { params: { path: { id } } })),
    refetchInterval: (query) => (isIndexing(query.state.data?.indexing.state) ? POLL_MS : false),
  });
}

export function useVersions(id: number) {
  return useQuery({
    queryKey: keys.versions(id),
    queryFn: () => unwrap(api.GET("/api/v1/knowledge/documents/{id}/versions", { params: { path: { id } } })),
    refetchInterval: (query) => (query.state.data?.some((v) => isIndexing(v.state)) ? POLL_MS : false),
  });
}

/** One version with its text. `keepPrevious` keeps the version in hand on screen while another loads. */
export function useVersion(id: number, number: number | null | undefined, keepPrevious = false) {
  return useQuery({
    queryKey: keys.version(id, number ?? 0),
    queryFn: () =>
      unwrap(api.GET("/api/v1/knowledge/documents/{id}/versions/{number}", { params: { path: { id, number: number! } } })),
    enabled: !!number,
    placeholderData: keepPrevious ? keepPreviousData : undefined,
    refetchInterval: (query) => (isIndexing(query.state.data?.state) ? POLL_MS : false),
  });
}

export function useOptions() {
  return useQuery({
    queryKey: keys.options,
    queryFn: () => unwrap(api.GET("/api/v1/knowledge/options")),
    staleTime: 60_000,
  });
}

/** Which document and version number each version id is, to link search results to their version page. */
export function useVersionRefs(ids: number[]) {
  const unique = [...new Set(ids)].sort((a, b) => a - b).slice(0, 100);
  return useQuery({
    queryKey: keys.refs(unique),
    queryFn: () => unwrap(api.GET("/api/v1/knowledge/versions", { params: { query: { id: unique } } })),
    enabled: unique.length > 0,
    staleTime: Infinity,
    select: (refs) => new Map(refs.map((ref) => [ref.id, ref])),
  });
}

function useRefreshDocument(id: number) {
  const client = useQueryClient();
  return async (document?: KnowledgeDocument) => {
    if (document) client.setQueryData(keys.document(id), document);
    await Promise.all([
      client.invalidateQueries({ queryKey: keys.document(id) }),
      client.invalidateQueries({ queryKey: keys.versions(id) }),
      client.invalidateQueries({ queryKey: ["knowledge", "documents"] }),
    ]);
  };
}

export function useCreateDocument() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewDocument) => unwrap(api.POST("/api/v1/knowledge/documents", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["knowledge", "documents"] }),
  });
}

export function useUpdateDocument(id: number) {
  const refresh = useRefreshDocument(id);
  return useMutation({
    mutationFn: (body: DocumentChanges) =>
      unwrap(api.PATCH("/api/v1/knowledge/documents/{id}", { params: { path: { id } }, body })),
    onSuccess: (document) => refresh(document),
  });
}

export type SaveOutcome = { version: Version; created: boolean };

async function saved(call: Promise<{ data?: Version; error?: unknown; response: Response }>): Promise<SaveOutcome> {
  const version = await unwrap(call);
  const { response } = await call;
  return { version, created: response.status === 201 };
}

export function useSaveVersion(id: number) {
  const refresh = useRefreshDocument(id);
  return useMutation({
    mutationFn: (body: Schemas["VersionInputRequest"]) =>
      saved(api.POST("/api/v1/knowledge/documents/{id}/versions", { params: { path: { id } }, body })),
    onSuccess: () => refresh(),
  });
}

export function useRestoreVersion(id: number) {
  const refresh = useRefreshDocument(id);
  return useMutation({
    mutationFn: ({ number, note }: { number: number; note?: string }) =>
      saved(
        api.POST("/api/v1/knowledge/documents/{id}/versions/{number}/restore", {
          params: { path: { id, number } },
          body: note ? { note } : {},
        }),
      ),
    onSuccess: () => refresh(),
  });
}

// --- upload ---------------------------------------------------------------------------------------------

export const UPLOAD_URL = "/api/v1/knowledge/documents/upload";
export const UPLOAD_ACCEPT = ".md,.markdown,.txt,.html,.htm,.pdf,.docx";
export type UploadMeta = { kind?: string; language?: string; status?: string; audience?: string };

/** One file, one request: the server's result for it, or the server's reason it refused the request. */
export async function uploadFile(file: File, meta: UploadMeta = {}): Promise<UploadResult> {
  const form = new FormData();
  form.append("files", file, file.name);
  for (const [name, value] of Object.entries(meta)) if (value) form.append(name, value);
  const { status, body } = await postForm(UPLOAD_URL, form);
  // Per-file results come back as a list, with 201 if the file was stored and 400 if it was not.
  if (Array.isArray(body) && body.length > 0) return body[0] as UploadResult;
  if (status === 413) throw new ApiError(413, "The file is larger than the server accepts.", "too_large");
  throw errorFrom(status < 400 ? 500 : status, body);
}

// --- search ---------------------------------------------------------------------------------------------

export type SearchParams = {
  query: string;
  customer?: number;
  role?: Role;
  products?: string[];
  language?: string;
  k?: number;
};

export function useSearch(params: SearchParams) {
  return useQuery({
    queryKey: keys.search(params),
    queryFn: () => unwrap(api.GET("/api/v1/knowledge/search", { params: { query: params } })),
    enabled: params.query.trim().length > 0,
    staleTime: 30_000,
    refetchOnWindowFocus: false,
  });
}

export function useCustomerSearch(search: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.customers(search),
    queryFn: () => unwrap(api.GET("/api/v1/customers", { params: { query: { search, page_size: 8 } } })),
    enabled: enabled && search.trim().length > 1,
    placeholderData: keepPreviousData,
  });
}

export function useCustomer(id: number | undefined) {
  return useQuery({
    queryKey: ["knowledge", "customer", id ?? 0],
    queryFn: () => unwrap(api.GET("/api/v1/customers/{id}", { params: { path: { id: id! } } })),
    enabled: !!id,
    staleTime: 60_000,
  });
}

export type Judgment = Schemas["JudgmentInputRequest"];

/** Mark a result as answering the question or not: a relevance pair the retriever learns from. */
export function useJudge() {
  return useMutation({
    mutationFn: (judgment: Judgment) => unwrap(api.POST("/api/v1/knowledge/search/judgments", { body: judgment })),
  });
}
