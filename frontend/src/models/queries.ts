// The fine-tuning API as react-query hooks. Every key starts with "training", so one invalidation refreshes
// the whole dashboard after a change (a run ended, an adapter promoted). The retriever, search's embedding
// model that learns from relevance pairs, has its own key ("retriever") and hooks at the end.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";

export type Run = Schemas["RunOutput"];
export type RunStatus = Schemas["TrainingRunStatusEnum"];
export type Snapshot = Schemas["SnapshotOutput"];
export type Adapter = Schemas["AdapterOutput"];
export type Evaluation = Schemas["EvaluationOutput"];
export type MatrixRow = Schemas["MatrixRowOutput"];
export type AdapterEvent = Schemas["EventOutput"];

/** How often a queued or running run is asked for its progress. */
export const RUN_POLL_MS = 2_000;
/** How often the list of runs is refreshed: often while one is active, now and then otherwise (the nightly
 * cycle may start one). */
const LIST_POLL_ACTIVE_MS = 10_000;
const LIST_POLL_IDLE_MS = 60_000;
export const PAGE_SIZE = 20;

export const trainingKeys = {
  all: ["training"] as const,
  runs: (page: number) => ["training", "runs", page] as const,
  run: (id: number) => ["training", "run", id] as const,
  snapshots: ["training", "snapshots"] as const,
  adapters: ["training", "adapters"] as const,
  evaluations: ["training", "evaluations"] as const,
  evaluation: (id: number) => ["training", "evaluation", id] as const,
  events: (page: number) => ["training", "events", page] as const,
};

export function isActive(status: RunStatus | undefined): boolean {
  return status === "queued" || status === "running";
}

export function useRuns(page: number) {
  return useQuery({
    queryKey: trainingKeys.runs(page),
    queryFn: () => unwrap(api.GET("/api/v1/training/runs", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.results.some((run) => isActive(run.status)) ? LIST_POLL_ACTIVE_MS : LIST_POLL_IDLE_MS,
  });
}

/** One run, asked again every RUN_POLL_MS while it is queued or running; no more once it has ended. */
export function useRun(id: number | null) {
  return useQuery({
    queryKey: trainingKeys.run(id ?? 0),
    queryFn: () => unwrap(api.GET("/api/v1/training/runs/{id}", { params: { path: { id: id ?? 0 } } })),
    enabled: id !== null,
    refetchInterval: (query) => (isActive(query.state.data?.status) ? RUN_POLL_MS : false),
  });
}

export function useSnapshots() {
  return useQuery({
    queryKey: trainingKeys.snapshots,
    queryFn: () => unwrap(api.GET("/api/v1/training/snapshots", { params: { query: { page_size: PAGE_SIZE } } })),
  });
}

export function useAdapters() {
  return useQuery({
    queryKey: trainingKeys.adapters,
    queryFn: () => unwrap(api.GET("/api/v1/training/adapters", { params: { query: { page_size: 100 } } })),
  });
}

export function useEvaluations() {
  return useQuery({
    queryKey: trainingKeys.evaluations,
    queryFn: () => unwrap(api.GET("/api/v1/training/evaluations", { params: { query: { page_size: PAGE_SIZE } } })),
  });
}

/** One evaluation on its own: an older one than the list holds (linked from a decision). */
export function useEvaluation(id: number | null, enabled: boolean) {
  return useQuery({
    queryKey: trainingKeys.evaluation(id ?? 0),
    queryFn: () => unwrap(api.GET("/api/v1/training/evaluations/{id}", { params: { path: { id: id ?? 0 } } })),
    enabled: enabled && id !== null,
  });
}

export function useEvents(page: number) {
  return useQuery({
    queryKey: trainingKeys.events(page),
    queryFn: () => unwrap(api.GET("/api/v1/training/events", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
}

/** Refresh everything the dashboard shows (after a run ended, a promotion, a roll-back, a new snapshot). */
export function useRefreshTraining(): () => Promise<void> {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: trainingKeys.all });
}

// --- the retriever (knowledge search's embedding model) -------------------------------------------------

export type Retriever = Schemas["RetrieverOutput"];
export type RetrieverRun = Schemas["RetrieverRunOutput"];
export type RetrieverState = Schemas["RetrieverRunStateEnum"];

/** How often the retriever is asked again while the library is re-embedded or a run trains, and otherwise
 * (the nightly cycle may add pairs or start a run). */
export const RETRIEVER_POLL_BUSY_MS = 2_000;
const RETRIEVER_POLL_IDLE_MS = 30_000;

/** Its own key: the retriever lives in the knowledge API, apart from the fine-tuning of the drafting model. */
export const retrieverKeys = { all: ["retriever"] as const };

export function isRetrieverBusy(state: RetrieverState | undefined): boolean {
  return state === "queued" || state === "training";
}

/** Whether something is moving: the library being re-embedded, or a run queued or training. */
export function retrieverWorking(data: Retriever | undefined): boolean {
  return !!data && (!!data.switch || data.runs.some((run) => isRetrieverBusy(run.state)));
}

export function useRetriever() {
  return useQuery({
    queryKey: retrieverKeys.all,
    queryFn: () => unwrap(api.GET("/api/v1/knowledge/retriever")),
    refetchInterval: (query) => (retrieverWorking(query.state.data) ? RETRIEVER_POLL_BUSY_MS : RETRIEVER_POLL_IDLE_MS),
  });
}

export function useTrainRetriever() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/knowledge/retriever/train", { body: {} })),
    onSuccess: () => client.invalidateQueries({ queryKey: retrieverKeys.all }),
  });
}

export function usePromoteRetriever() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ run, reason }: { run: RetrieverRun; reason: string }) =>
      unwrap(
        api.POST("/api/v1/knowledge/retriever/runs/{id}/promote", {
          params: { path: { id: run.id } },
          body: { override_reason: reason },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: retrieverKeys.all }),
  });
}

export function useRollbackRetriever() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/knowledge/retriever/rollback")),
    onSuccess: (answer) => client.setQueryData(retrieverKeys.all, answer),
  });
}
