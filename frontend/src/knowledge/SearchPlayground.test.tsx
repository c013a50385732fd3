import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ADMINISTRATOR, AGENT, fakeServer, KNOWLEDGE_ADMIN, page, renderAt } from "../test/server";
import { hit, OPTIONS } from "./fixtures";
import { KnowledgeRoutes } from "./KnowledgeRoutes";
import { searchFrom } from "./SearchPlayground";

const at = (path: string) => renderAt(<KnowledgeRoutes />, { path, route: "/knowledge/*" });
const searches = (requests: { method: string; path: string; search: string }[]) =>
  requests.filter((r) => r.path === "/api/v1/knowledge/search").map((r) => new URLSearchParams(r.search));

const CUSTOMER = {
  id: 31,
  name: "Ann Hobson",
  email: "ann@hobsons.example",
  organization: { id: 4, name: "Hobsons House", slug: "hobsons" },
  plan: "enterprise",
  products: [],
  source: "openbook",
  external_id: "",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("search playground", () => {
  it("reads the search from the address, ignoring what it does not know", () => {
    expect(searchFrom(new URLSearchParams("q=refund&customer=31&role=agent&product=books&language=en&k=20"))).toEqual({
      query: "refund",
      customer: 31,
      role: "agent",
      products: ["books"],
      language: "en",
      k: 20,
    });
    expect(searchFrom(new URLSearchParams("q=x&customer=abc&role=root&k=7"))).toEqual({ query: "x" });
  });

  it("searches and shows each passage's scores, heading path and a link to its version", async () => {
    const server = fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "GET /api/v1/knowledge/search": {
          body: {
            query: "card reader refund",
            vector_search: "used",
            notice: null,
            results: [hit(), hit({ chunk_id: 101, document_id: 8, version_id: 81, document_title: "Warranty", heading_path: [], vector_score: null, vector_rank: null, keyword_score: 2.25, fused_score: 0.5 })],
          },
        },
        "GET /api/v1/knowledge/versions": {
          body: [
            { id: 71, document: 7, number: 3, title: "Card reader returns", state: "active" },
            { id: 81, document: 8, number: 1, title: "Warranty", state: "active" },
          ],
        },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/search");
    await userEvent.type(await screen.findByLabelText("Query"), "card reader refund");
    await userEvent.selectOptions(await screen.findByLabelText("Product"), "books");
    await userEvent.selectOptions(screen.getByLabelText("Role"), "knowledge_admin");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));

    const first = await screen.findByRole("listitem", { name: "Result 1: Card reader returns" });
    expect(Object.fromEntries(searches(server.requests)[0])).toEqual({ query: "card reader refund", role: "knowledge_admin", products: "books" });
    const scores = (item: HTMLElement) =>
      Object.fromEntries(within(item).getAllByRole("term").map((term) => [term.textContent, term.nextElementSibling!.textContent]));
    expect(scores(first)).toEqual({ vector: "0.812 #1", keyword: "4.500 #2", fused: "1.988" });
    expect(within(first).getByLabelText("Heading path")).toHaveTextContent("Returns › Hardware");
    await waitFor(() => expect(within(first).getByRole("link", { name: "Card reader returns" })).toHaveAttribute("href", "/knowledge/7/versions/3"));
    expect(within(first).getByText("version 3")).toBeInTheDocument();
    const second = screen.getByRole("listitem", { name: "Result 2: Warranty" });
    expect(scores(second)).toEqual({ vector: "—", keyword: "2.250 #2", fused: "0.500" });
    const lookup = server.requests.find((r) => r.path === "/api/v1/knowledge/versions")!;
    expect(new URLSearchParams(lookup.search).getAll("id")).toEqual(["71", "81"]);
    // A knowledge admin cannot read customers, so the picker is not offered.
    expect(screen.queryByLabelText("As customer (optional)")).not.toBeInTheDocument();
  });

  it("says when vector search did not take part", async () => {
    fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "GET /api/v1/knowledge/search": { body: { query: "refund", vector_search: "unavailable", notice: "No embedding worker answered in time.", results: [] } },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/search?q=refund");
    expect(await screen.findByText("No embedding worker answered in time.")).toBeInTheDocument();
    expect(screen.getByText(/Nothing found/)).toBeInTheDocument();
  });

  it("searches as a customer an agent picks", async () => {
    const server = fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "GET /api/v1/customers": { body: page([CUSTOMER]) },
        "GET /api/v1/customers/31": { body: CUSTOMER },
        "GET /api/v1/knowledge/search": { body: { query: "refund", vector_search: "used", notice: null, results: [hit()] } },
        "GET /api/v1/knowledge/versions": { body: [] },
      },
      AGENT,
    );
    at("/knowledge/search");
    await userEvent.type(await screen.findByLabelText("As customer (optional)"), "ann");
    await userEvent.click(await screen.findByRole("button", { name: /Ann Hobson/ }));
    expect(await screen.findByText("Ann Hobson · enterprise · Hobsons House")).toBeInTheDocument();
    const customerSearches = server.requests.filter((r) => r.path === "/api/v1/customers");
    expect(customerSearches.map((r) => new URLSearchParams(r.search).get("search"))).toEqual(["ann"]);
    await userEvent.type(screen.getByLabelText("Query"), "refund");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    await screen.findByRole("listitem", { name: "Result 1: Card reader returns" });
    expect(searches(server.requests)[0].get("customer")).toBe("31");
    // Without a known version number, the link goes to the document.
    expect(screen.getByRole("link", { name: "Card reader returns" })).toHaveAttribute("href", "/knowledge/7");
  });

  it("lets a knowledge writer mark whether a result answers the question", async () => {
    const answers: Record<string, { status?: number; body: unknown }> = {
      "true": { status: 201, body: { recorded: true } },
      "false": { status: 201, body: { recorded: true } },
    };
    const server = fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "GET /api/v1/knowledge/search": {
          body: { query: "card reader refund", vector_search: "used", notice: null, results: [hit(), hit({ chunk_id: 101, document_title: "Warranty" })] },
        },
        "GET /api/v1/knowledge/versions": { body: [] },
        "POST /api/v1/knowledge/search/judgments": async (request) => {
          const body = (await request.json()) as { relevant: boolean };
          return answers[String(body.relevant)];
        },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/search?q=card+reader+refund");
    const first = await screen.findByRole("listitem", { name: "Result 1: Card reader returns" });
    const marks = within(first).getByRole("group", { name: "Does “Card reader returns” answer the question?" });
    const yes = within(marks).getByRole("button", { name: "Answers the question" });
    const no = within(marks).getByRole("button", { name: "Does not answer" });
    expect(yes).toHaveAttribute("aria-pressed", "false");
    expect(no).toHaveAttribute("aria-pressed", "false");

    await userEvent.click(yes);
    expect(await within(marks).findByRole("status")).toHaveTextContent("Marked");
    expect(yes).toHaveAttribute("aria-pressed", "true");
    expect(no).toHaveAttribute("aria-pressed", "false");
    const posts = () => server.requests.filter((r) => r.method === "POST");
    expect(posts()[0].path).toBe("/api/v1/knowledge/search/judgments");
    expect(posts()[0].body).toEqual({ query: "card reader refund", chunk_id: 100, relevant: true });
    expect(posts()[0].headers.get("X-CSRFToken")).toBe("test-token");

    // Changing one's mind sends the other mark; the same mark twice is said to be known already.
    answers["false"] = { status: 201, body: { recorded: false } };
    await userEvent.click(no);
    await waitFor(() => expect(no).toHaveAttribute("aria-pressed", "true"));
    expect(yes).toHaveAttribute("aria-pressed", "false");
    expect(within(marks).getByRole("status")).toHaveTextContent("Marked (already recorded)");
    expect(posts()[1].body).toEqual({ query: "card reader refund", chunk_id: 100, relevant: false });

    // The other result is untouched; a refusal shows inline and presses nothing.
    const second = screen.getByRole("listitem", { name: "Result 2: Warranty" });
    answers["true"] = { status: 400, body: { detail: "chunk_id: This passage is no longer searchable.", code: "invalid" } };
    const secondYes = within(second).getByRole("button", { name: "Answers the question" });
    await userEvent.click(secondYes);
    expect(await within(second).findByRole("alert")).toHaveTextContent("This passage is no longer searchable.");
    expect(secondYes).toHaveAttribute("aria-pressed", "false");
    expect(posts()[2].body).toEqual({ query: "card reader refund", chunk_id: 101, relevant: true });
  });

  it("offers no marks to those who cannot write knowledge", async () => {
    fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "GET /api/v1/knowledge/search": { body: { query: "refund", vector_search: "used", notice: null, results: [hit()] } },
        "GET /api/v1/knowledge/versions": { body: [] },
      },
      AGENT,
    );
    at("/knowledge/search?q=refund");
    const first = await screen.findByRole("listitem", { name: "Result 1: Card reader returns" });
    expect(within(first).queryByRole("button", { name: "Answers the question" })).toBeNull();
    expect(within(first).queryByRole("group")).toBeNull();
  });

  it("shows the server's message when a search is refused", async () => {
    fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "GET /api/v1/knowledge/search": { status: 403, body: { detail: "You can only search with a role you hold.", code: "invalid" } },
      },
      ADMINISTRATOR,
    );
    at("/knowledge/search?q=refund&role=integration");
    expect(await screen.findByRole("alert")).toHaveTextContent("You can only search with a role you hold.");
    expect(screen.getByLabelText("Role")).toHaveValue("integration");
    expect(screen.getByLabelText("Query")).toHaveValue("refund");
  });
});
