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
