// Hit testing: what search returns for a query, optionally as a given customer and with a given role's
// rights, with each passage's vector, keyword and fused scores. The search lives in the address, so a
// result can be shared and the back button returns to the previous query. Those who can write knowledge
// mark whether each passage answers the question: relevance pairs the retriever learns from.
import { useEffect, useId, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { hasScope, useSession } from "../api/session";
import { Empty, ErrorMessage, Loading } from "../ui/status";
import {
  useCanWrite,
  useCustomer,
  useCustomerSearch,
  useJudge,
  useOptions,
  useSearch,
  useVersionRefs,
  type Customer,
  type Role,
  type SearchParams,
  type SearchResult,
  type VersionRef,
} from "./api";
import { useDebounced } from "./parts";
import "./knowledge.css";

const ROLES: { value: Role; label: string }[] = [
  { value: "agent", label: "Agent" },
  { value: "knowledge_admin", label: "Knowledge admin" },
  { value: "integration", label: "Integration" },
  { value: "administrator", label: "Administrator" },
];
const K_CHOICES = [5, 8, 10, 20, 50];

/** The search the address asks for. */
export function searchFrom(params: URLSearchParams): SearchParams {
  const search: SearchParams = { query: params.get("q") ?? "" };
  const customer = Number(params.get("customer"));
  if (Number.isInteger(customer) && customer > 0) search.customer = customer;
  const role = params.get("role");
  if (ROLES.some((r) => r.value === role)) search.role = role as Role;
  const product = params.get("product");
  if (product) search.products = [product];
  const language = params.get("language");
  if (language) search.language = language;
  const k = Number(params.get("k"));
  if (K_CHOICES.includes(k)) search.k = k;
  return search;
}

function score(value: number | null): string {
  return value === null ? "—" : value.toFixed(3);
}

function CustomerPicker({ value, onChange }: { value: number | undefined; onChange: (customer: Customer | null) => void }) {
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const found = useCustomerSearch(useDebounced(text.trim(), 250), open);
  const chosen = useCustomer(value);
  const listId = useId();
  if (value) {
    return (
      <div className="kb-customer-chosen">
        <span className="kb-field-label">Customer</span>
        <span>
          {chosen.isPending ? `#${value}` : chosen.isError ? `#${value}` : `${chosen.data.name} · ${chosen.data.plan || "no plan"} · ${chosen.data.organization?.name ?? "no organization"}`}
        </span>
        {chosen.isError && <ErrorMessage error={chosen.error} />}
        <button type="button" className="button small" onClick={() => onChange(null)} aria-label="Search without a customer">
          Clear customer
        </button>
      </div>
    );
  }
  const results = found.data?.results ?? [];
  return (
    <div className="kb-customer-picker">
      <label>
        As customer (optional)
        <input
          type="search"
          value={text}
          placeholder="Name or email"
          role="combobox"
          aria-expanded={open && results.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          onChange={(event) => {
            setText(event.target.value);
            setOpen(true);
          }}
          onKeyDown={(event) => {
            if (event.key === "Escape") setOpen(false);
            if (event.key === "ArrowDown") (document.getElementById(listId)?.querySelector("button") as HTMLButtonElement | null)?.focus();
          }}
        />
      </label>
      {open && text.trim().length > 1 && (
        <div className="kb-customer-results" id={listId}>
          {found.isPending ? (
            <Loading label="Finding customers…" />
          ) : found.isError ? (
            <ErrorMessage error={found.error} />
          ) : results.length === 0 ? (
            <span className="hint">No customer matches.</span>
          ) : (
            <ul aria-label="Matching customers">
              {results.map((customer) => (
                <li key={customer.id}>
                  <button
                    type="button"
                    className="button small"
                    onClick={() => {
                      onChange(customer);
                      setText("");
                      setOpen(false);
                    }}
                  >
                    <span>{customer.name}</span>
                    <span className="hint">
                      {customer.email} · {customer.plan || "no plan"}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

/** "Answers the question" / "Does not answer" on one result for one query; the one marked stays pressed. */
function Marks({ query, chunkId, title }: { query: string; chunkId: number; title: string }) {
  const judge = useJudge();
  const [marked, setMarked] = useState<{ relevant: boolean; recorded: boolean } | null>(null);
  const choices = [
    { relevant: true, label: "Answers the question" },
    { relevant: false, label: "Does not answer" },
  ];

  function mark(relevant: boolean) {
    judge.mutate({ query, chunk_id: chunkId, relevant }, { onSuccess: (answer) => setMarked({ relevant, recorded: answer.recorded }) });
  }

  return (
    <div className="kb-marks" role="group" aria-label={`Does “${title}” answer the question?`}>
      {choices.map((choice) => (
        <button
          key={String(choice.relevant)}
          type="button"
          className={`button small${marked?.relevant === choice.relevant ? " primary" : ""}`}
          aria-pressed={marked?.relevant === choice.relevant}
          disabled={judge.isPending}
          onClick={() => mark(choice.relevant)}
        >
          {choice.label}
        </button>
      ))}
      <span role="status" className="hint">
        {judge.isPending ? "Saving…" : marked ? (marked.recorded ? "Marked" : "Marked (already recorded)") : ""}
      </span>
      {judge.isError && <ErrorMessage error={judge.error} />}
    </div>
  );
}

function ResultRow({ result, rank, version, query }: { result: SearchResult; rank: number; version: VersionRef | undefined; query: string | null }) {
  const [open, setOpen] = useState(false);
  const long = result.text.length > 600;
  const href = version ? `/knowledge/${result.document_id}/versions/${version.number}` : `/knowledge/${result.document_id}`;
  return (
    <li className="card kb-hit" aria-label={`Result ${rank}: ${result.document_title}`}>
      <div className="kb-hit-head">
        <span className="kb-rank" aria-hidden="true">
          {rank}
        </span>
        <div className="kb-hit-title">
          <Link to={href}>{result.document_title}</Link> <span className="badge">{version ? `version ${version.number}` : `version id ${result.version_id}`}</span>{" "}
          <span className="badge info">{result.kind}</span>
          {result.heading_path.length > 0 && (
            <div className="kb-heading-path" aria-label="Heading path">
              {result.heading_path.join(" › ")}
            </div>
          )}
        </div>
        <dl className="kb-scores">
          <div>
            <dt>vector</dt>
            <dd>
              {score(result.vector_score)}
              {result.vector_rank !== null && <span className="hint"> #{result.vector_rank}</span>}
            </dd>
          </div>
          <div>
            <dt>keyword</dt>
            <dd>
              {score(result.keyword_score)}
              {result.keyword_rank !== null && <span className="hint"> #{result.keyword_rank}</span>}
            </dd>
          </div>
          <div className="kb-fused">
            <dt>fused</dt>
            <dd>{score(result.fused_score)}</dd>
          </div>
        </dl>
      </div>
      <p className="kb-hit-text">{long && !open ? `${result.text.slice(0, 600)}…` : result.text}</p>
      {long && (
        <button type="button" className="button small" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "Show less" : "Show the whole passage"}
        </button>
      )}
      {query !== null && <Marks key={query} query={query} chunkId={result.chunk_id} title={result.document_title} />}
    </li>
  );
}

function Results({ search }: { search: SearchParams }) {
  const answer = useSearch(search);
  const canMark = useCanWrite();
  const refs = useVersionRefs(answer.data?.results.map((r) => r.version_id) ?? []);
  if (answer.isPending) return <Loading label="Searching…" />;
  if (answer.isError) return <ErrorMessage error={answer.error} retry={() => void answer.refetch()} />;
  const { results, vector_search, notice } = answer.data;
  return (
    <section aria-labelledby="results-title">
      <h2 id="results-title">
        {results.length === 1 ? "1 passage" : `${results.length} passages`} for “{answer.data.query}”
      </h2>
      {vector_search !== "used" && (
        <div className="state state-empty kb-notice" role="status">
          {notice || "Vector search did not take part: ranked by keywords only."}
        </div>
      )}
      {refs.isError && <ErrorMessage error={refs.error} />}
      {results.length === 0 ? (
        <Empty>Nothing found. A narrower audience (customer, role, product or language) may hide documents.</Empty>
      ) : (
        <ol className="kb-hits">
          {results.map((result, index) => (
            <ResultRow
              key={result.chunk_id}
              result={result}
              rank={index + 1}
              version={refs.data?.get(result.version_id)}
              query={canMark ? answer.data.query : null}
            />
          ))}
        </ol>
      )}
    </section>
  );
}

export function SearchPlayground() {
  const { user } = useSession();
  const [params, setParams] = useSearchParams();
  const search = searchFrom(params);
  const options = useOptions();
  const [query, setQuery] = useState(search.query);
  const [customer, setCustomer] = useState<number | undefined>(search.customer);
  const [role, setRole] = useState<string>(search.role ?? "");
  const [product, setProduct] = useState(search.products?.[0] ?? "");
  const [language, setLanguage] = useState(search.language ?? "");
  const [k, setK] = useState(search.k ?? 8);
  // The back button changes the address: the form follows it.
  const key = params.toString();
  useEffect(() => {
    const next = searchFrom(new URLSearchParams(key));
    setQuery(next.query);
    setCustomer(next.customer);
    setRole(next.role ?? "");
    setProduct(next.products?.[0] ?? "");
    setLanguage(next.language ?? "");
    setK(next.k ?? 8);
  }, [key]);

  const canPickCustomer = hasScope(user, "tickets:read");
  const roles = user?.roles.includes("administrator") ? ROLES : ROLES.filter((r) => user?.roles.includes(r.value));

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (query.trim()) next.set("q", query.trim());
    if (customer) next.set("customer", String(customer));
    if (role) next.set("role", role);
    if (product) next.set("product", product);
    if (language) next.set("language", language);
    if (k !== 8) next.set("k", String(k));
    setParams(next);
  }

  return (
    <div className="page">
      <div className="page-head">
        <h1>Search playground</h1>
        <span className="hint">What search hands the assistant for a question, and why it ranked each passage.</span>
      </div>
      <form className="card kb-search-form" onSubmit={submit} role="search" aria-label="Test a search">
        <div className="kb-row">
          <label className="kb-grow">
            Query
            <input type="search" value={query} maxLength={4000} onChange={(event) => setQuery(event.target.value)} placeholder="How do I get a refund for a card reader?" autoFocus />
          </label>
          <button type="submit" className="button primary" disabled={!query.trim()}>
            Search
          </button>
        </div>
        <div className="filters">
          {canPickCustomer ? (
            <CustomerPicker value={customer} onChange={(chosen) => setCustomer(chosen?.id)} />
          ) : (
            <p className="hint kb-customer-note">Searching as a customer needs access to customers (agents and administrators have it).</p>
          )}
          <label>
            Role
            <select value={role} onChange={(event) => setRole(event.target.value)}>
              <option value="">My own rights</option>
              {roles.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Product
            <select value={product} onChange={(event) => setProduct(event.target.value)}>
              <option value="">Any</option>
              {options.data?.products.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Language
            <select value={language} onChange={(event) => setLanguage(event.target.value)}>
              <option value="">Any</option>
              {options.data?.languages.map((code) => (
                <option key={code} value={code}>
                  {code}
                </option>
              ))}
            </select>
          </label>
          <label>
            Results
            <select value={k} onChange={(event) => setK(Number(event.target.value))}>
              {K_CHOICES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
        {options.isError && <ErrorMessage error={options.error} retry={() => void options.refetch()} />}
      </form>
      {search.query.trim() ? <Results search={search} /> : <Empty>Type a question a customer might ask, then search.</Empty>}
    </div>
  );
}
