import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AGENT, fakeServer, KNOWLEDGE_ADMIN, page, renderAt } from "../test/server";
import { doc, indexing, OPTIONS } from "./fixtures";
import { KnowledgeRoutes } from "./KnowledgeRoutes";
import { filtersFrom } from "./DocumentList";

const at = (path: string) => renderAt(<KnowledgeRoutes />, { path, route: "/knowledge/*" });
const listRequests = (requests: { method: string; path: string; search: string }[]) =>
  requests.filter((r) => r.method === "GET" && r.path === "/api/v1/knowledge/documents").map((r) => new URLSearchParams(r.search));

describe("document list", () => {
  it("reads its filters from the address", () => {
    expect(filtersFrom(new URLSearchParams("kind=faq&search=%20feeds%20&page=2&bogus=1&state="))).toEqual({ kind: "faq", search: "feeds", page: 2 });
    expect(filtersFrom(new URLSearchParams("page=0"))).toEqual({});
  });

  it("builds the query from the search box and every filter", async () => {
    const server = fakeServer(
      { "GET /api/v1/knowledge/documents": { body: page([doc()]) }, "GET /api/v1/knowledge/options": { body: OPTIONS } },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge?kind=faq");
    await screen.findByRole("link", { name: "Refund policy" });
    expect(listRequests(server.requests)[0].get("kind")).toBe("faq");

    await userEvent.selectOptions(screen.getByLabelText("Status"), "published");
    await userEvent.selectOptions(screen.getByLabelText("Audience"), "internal");
    await userEvent.selectOptions(await screen.findByLabelText("Product"), "payroll");
    await userEvent.selectOptions(screen.getByLabelText("Language"), "de");
    await userEvent.type(screen.getByLabelText("Search documents"), "feeds{Enter}");
    await waitFor(() => {
      const last = listRequests(server.requests).at(-1)!;
      expect(Object.fromEntries(last)).toEqual({
        kind: "faq",
        status: "published",
        audience: "internal",
        product: "payroll",
        language: "de",
        search: "feeds",
        page_size: "25",
      });
    });

    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(Object.fromEntries(listRequests(server.requests).at(-1)!)).toEqual({ page_size: "25" }));
  });

  it("shows each document's indexing state, with progress and the failure's message", async () => {
    fakeServer(
      {
        "GET /api/v1/knowledge/documents": {
          body: page([
            doc({ id: 1, title: "Queued doc", indexing: indexing("queued", 0, 4) }),
            doc({ id: 2, title: "Embedding doc", indexing: indexing("embedding", 3, 10) }),
            doc({ id: 3, title: "Active doc", indexing: indexing("active", 5, 5) }),
            doc({ id: 4, title: "Failed doc", indexing: indexing("failed", 1, 5, "The embedding model did not answer.") }),
          ]),
        },
        "GET /api/v1/knowledge/options": { body: OPTIONS },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge");
    const row = async (title: string) => (await screen.findByRole("link", { name: title })).closest("tr")!;
    expect(within(await row("Queued doc")).getByText("queued")).toBeInTheDocument();
    const embedding = await row("Embedding doc");
    expect(within(embedding).getByText("embedding 3/10")).toBeInTheDocument();
    expect(within(embedding).getByRole("progressbar", { name: "Embedding progress" })).toHaveAttribute("aria-valuenow", "3");
    expect(within(await row("Active doc")).getByText("active")).toBeInTheDocument();
    const failed = await row("Failed doc");
    expect(within(failed).getByText("failed")).toBeInTheDocument();
    expect(within(failed).getByText("The embedding model did not answer.")).toBeInTheDocument();
    expect(screen.getByText("2 documents are indexing; this list refreshes itself.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Upload" })).toHaveAttribute("href", "/knowledge/upload");
  });

  it("polls while a document is indexing and stops once it is active", async () => {
    let calls = 0;
    fakeServer(
      {
        "GET /api/v1/knowledge/documents": () => {
          calls += 1;
          return { body: page([doc({ indexing: calls === 1 ? indexing("embedding", 1, 2) : indexing("active", 2, 2) })]) };
        },
        "GET /api/v1/knowledge/options": { body: OPTIONS },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge");
    expect(await screen.findByText("embedding 1/2")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByText("embedding 1/2")).not.toBeInTheDocument(), { timeout: 4_000 });
    const row = screen.getByRole("link", { name: "Refund policy" }).closest("tr")!;
    expect(within(row).getByText("active")).toBeInTheDocument();
    expect(calls).toBe(2);
    const settled = calls;
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    expect(calls).toBe(settled);
  });

  it("shows the server's message when the list fails", async () => {
    fakeServer(
      {
        "GET /api/v1/knowledge/documents": { status: 400, body: { detail: "Select a valid choice.", code: "invalid" } },
        "GET /api/v1/knowledge/options": { body: OPTIONS },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge?kind=nope");
    expect(await screen.findByRole("alert")).toHaveTextContent("Select a valid choice.");
  });

  it("offers no upload or new document to a reader", async () => {
    fakeServer({ "GET /api/v1/knowledge/documents": { body: page([doc({ status: "published" })]) }, "GET /api/v1/knowledge/options": { body: OPTIONS } }, AGENT);
    at("/knowledge");
    await screen.findByRole("link", { name: "Refund policy" });
    expect(screen.queryByRole("link", { name: "Upload" })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New document" })).not.toBeInTheDocument();
  });
});
