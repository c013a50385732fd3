// The document list: search and filters kept in the address (so a filtered view can be shared or reloaded),
// each document's indexing state, re-read every few seconds while anything on the page is indexing.
import { useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { Empty, ErrorMessage, Loading } from "../ui/status";
import { useShortcut } from "../ui/shortcuts";
import { isIndexing, PAGE_SIZE, useCanWrite, useDocuments, useOptions, type DocumentFilters, type KnowledgeDocument, type Options } from "./api";
import { Day, IndexingState, labelOf, Pagination, StatusBadge, useDebounced } from "./parts";
import { WarningBadge } from "./Warnings";
import "./knowledge.css";

const FILTER_NAMES = ["kind", "status", "audience", "product", "language", "state", "has_warnings"] as const;
type FilterName = (typeof FILTER_NAMES)[number];

/** The list filters the address holds; anything else in it is ignored. */
export function filtersFrom(params: URLSearchParams): DocumentFilters {
  const filters: Record<string, string | number> = {};
  const search = params.get("search")?.trim();
  if (search) filters.search = search;
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  const page = Number(params.get("page"));
  if (Number.isInteger(page) && page > 1) filters.page = page;
  return filters as DocumentFilters;
}

function SearchBox({ value, onSearch }: { value: string; onSearch: (value: string) => void }) {
  const [text, setText] = useState(value);
  const settled = useDebounced(text, 300);
  const input = useRef<HTMLInputElement>(null);
  const latest = useRef(onSearch);
  latest.current = onSearch;
  useEffect(() => {
    if (settled.trim() !== value) latest.current(settled.trim());
    // Only a settled change of the text searches; the address changing (back button) is handled below.
  }, [settled]);
  const [seen, setSeen] = useState(value);
  if (value !== seen) {
    setSeen(value);
    if (value !== text.trim()) setText(value);
  }
  useShortcut("/", () => input.current?.focus());
  return (
    <label>
      Search documents
      <input
        ref={input}
        type="search"
        value={text}
        placeholder="Title or slug"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") onSearch(text.trim());
        }}
      />
    </label>
  );
}

type FilterSpec = { name: FilterName; label: string; options: { value: string; label: string }[] };

function filterSpecs(options: Options | undefined): FilterSpec[] {
  return [
    { name: "kind", label: "Kind", options: options?.kinds ?? [] },
    { name: "status", label: "Status", options: options?.statuses ?? [] },
    { name: "audience", label: "Audience", options: options?.audiences ?? [] },
    { name: "product", label: "Product", options: options?.products ?? [] },
    { name: "language", label: "Language", options: (options?.languages ?? []).map((code) => ({ value: code, label: code })) },
    {
      name: "state",
      label: "Indexing",
      options: (options?.states ?? []).filter((s) => s.value !== "superseded").map((s) => ({ value: s.value, label: s.value })),
    },
    {
      name: "has_warnings",
      label: "Warnings",
      options: [
        { value: "true", label: "Has warnings" },
        { value: "false", label: "No warnings" },
      ],
    },
  ];
}

function Filters({ params, onChange }: { params: URLSearchParams; onChange: (name: string, value: string) => void }) {
  const options = useOptions();
  const active = FILTER_NAMES.some((name) => params.get(name)) || !!params.get("search");
  return (
    <div className="filters" role="search" aria-label="Filter documents">
      <SearchBox value={params.get("search") ?? ""} onSearch={(value) => onChange("search", value)} />
      {filterSpecs(options.data).map((spec) => {
        const current = params.get(spec.name) ?? "";
        const known = spec.options.some((option) => option.value === current);
        return (
          <label key={spec.name}>
            {spec.label}
            <select value={current} onChange={(event) => onChange(spec.name, event.target.value)}>
              <option value="">Any</option>
              {current && !known && <option value={current}>{current}</option>}
              {spec.options.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
        );
      })}
      {active && (
        <button type="button" className="button small" onClick={() => onChange("*", "")}>
          Clear filters
        </button>
      )}
      {options.isError && <ErrorMessage error={options.error} retry={() => void options.refetch()} />}
    </div>
  );
}

function DocumentRow({ document, options }: { document: KnowledgeDocument; options: Options | undefined }) {
  const versions =
    document.latest_version == null
      ? "—"
      : document.active_version_number && document.active_version_number !== document.latest_version
        ? `v${document.latest_version} (search: v${document.active_version_number})`
        : `v${document.latest_version}`;
  const warnings = Math.max(document.warnings.length, document.active_version_warnings);
  const served = document.active_version_number && document.active_version_number !== document.latest_version ? document.active_version_number : null;
  const warningTitle =
    served && document.active_version_warnings > 0
      ? `v${document.latest_version}: ${document.warnings.length}, v${served} (search): ${document.active_version_warnings}`
      : "Hidden content or planted instructions: see the document";
  return (
    <tr>
      <td>
        <Link to={`/knowledge/${document.id}`}>{document.title}</Link> <WarningBadge count={warnings} title={warningTitle} />
        <div className="hint mono">{document.slug}</div>
      </td>
      <td>{labelOf(options?.kinds, document.kind ?? "policy")}</td>
      <td>
        <StatusBadge status={document.status} />
      </td>
      <td>
        {labelOf(options?.audiences, document.audience ?? "public")}
        {document.audience === "plans" && document.audience_plans.length > 0 && <div className="hint">{document.audience_plans.join(", ")}</div>}
        {document.audience === "organizations" && document.audience_organizations.length > 0 && (
          <div className="hint">{document.audience_organizations.join(", ")}</div>
        )}
        {document.audience === "internal" && (document.audience_roles ?? []).length > 0 && <div className="hint">{document.audience_roles!.join(", ")}</div>}
      </td>
      <td>{document.products.length ? document.products.join(", ") : <span className="hint">all</span>}</td>
      <td>{document.language ?? "en"}</td>
      <td className="num">{versions}</td>
      <td>
        <IndexingState indexing={document.indexing} />
      </td>
      <td className="kb-nowrap">
        <Day iso={document.updated_at} />
      </td>
    </tr>
  );
}

export function DocumentList() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const documents = useDocuments(filters);
  const options = useOptions();
  const canWrite = useCanWrite();

  function change(name: string, value: string) {
    setParams(
      (previous) => {
        const next = new URLSearchParams(name === "*" ? "" : previous);
        if (name !== "*") {
          if (value) next.set(name, value);
          else next.delete(name);
        }
        if (name !== "page") next.delete("page");
        return next;
      },
      { replace: name === "search" },
    );
  }

  const data = documents.data;
  const indexing = data?.results.filter((d) => isIndexing(d.indexing.state)).length ?? 0;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Knowledge</h1>
        {data && <span className="hint">{data.count === 1 ? "1 document" : `${data.count} documents`}</span>}
        <div className="actions">
          <Link className="button" to="/knowledge/search">
            Search playground
          </Link>
          {canWrite && (
            <>
              <Link className="button" to="/knowledge/new">
                New document
              </Link>
              <Link className="button primary" to="/knowledge/upload">
                Upload
              </Link>
            </>
          )}
        </div>
      </div>
      <Filters params={params} onChange={change} />
      <p className="hint kb-live" aria-live="polite">
        {indexing > 0 ? `${indexing === 1 ? "1 document is" : `${indexing} documents are`} indexing; this list refreshes itself.` : ""}
      </p>
      {documents.isPending ? (
        <Loading label="Loading documents…" />
      ) : documents.isError ? (
        <ErrorMessage error={documents.error} retry={() => void documents.refetch()} />
      ) : data!.results.length === 0 ? (
        <Empty>{Object.keys(filters).length ? "No document matches these filters." : "No documents yet."}</Empty>
      ) : (
        <>
          {documents.isFetching && documents.isPlaceholderData && <Loading label="Updating…" />}
          <table className="data kb-documents">
            <caption className="visually-hidden">Documents</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Audience</th>
                <th scope="col">Products</th>
                <th scope="col">Language</th>
                <th scope="col" className="num">
                  Version
                </th>
                <th scope="col">Indexing</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {data!.results.map((document) => (
                <DocumentRow key={document.id} document={document} options={options.data} />
              ))}
            </tbody>
          </table>
          <Pagination page={filters.page ?? 1} count={data!.count} pageSize={PAGE_SIZE} onPage={(page) => change("page", page > 1 ? String(page) : "")} />
        </>
      )}
    </div>
  );
}
