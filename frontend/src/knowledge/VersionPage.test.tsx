import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AGENT, fakeServer, KNOWLEDGE_ADMIN, renderAt } from "../test/server";
import { doc, version, versionRow } from "./fixtures";
import { KnowledgeRoutes } from "./KnowledgeRoutes";

const at = (path: string) => renderAt(<KnowledgeRoutes />, { path, route: "/knowledge/*" });

describe("version page", () => {
  it("shows an older version's text to a reader, with a way to the newest", async () => {
    fakeServer(
      {
        "GET /api/v1/knowledge/documents/1": { body: doc({ status: "published", latest_version: 3, active_version_number: 3 }) },
        "GET /api/v1/knowledge/documents/1/versions/2": { body: version(2, { note: "Longer window", text: "# Refunds\n\nWithin 30 days." }) },
      },
      AGENT,
    );
    at("/knowledge/1/versions/2");
    const text = await screen.findByRole("region", { name: "Text of version 2" });
    expect(within(text).getByRole("heading", { name: "Refunds" })).toBeInTheDocument();
    expect(screen.getByText("Longer window")).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "version 3" })).toHaveAttribute("href", "/knowledge/1/versions/3");
    expect(screen.getByRole("link", { name: "Compare with newest" })).toHaveAttribute("href", "/knowledge/1?from=2&to=3#history");
    expect(screen.queryByRole("button", { name: "Restore this version" })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Source" }));
    expect(screen.getByLabelText("Source of version 2")).toHaveTextContent("# Refunds Within 30 days.");
  });

  it("lets an editor restore it as a new version", async () => {
    const server = fakeServer(
      {
        "GET /api/v1/knowledge/documents/1": { body: doc({ latest_version: 3 }) },
        "GET /api/v1/knowledge/documents/1/versions": { body: [versionRow(3), versionRow(2), versionRow(1)] },
        "GET /api/v1/knowledge/documents/1/versions/1": { body: version(1) },
        "POST /api/v1/knowledge/documents/1/versions/1/restore": { status: 201, body: versionRow(4, { note: "Restored version 1" }) },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/1/versions/1");
    await userEvent.click(await screen.findByRole("button", { name: "Restore this version" }));
    expect(await screen.findByText(/Restored as version 4\./)).toBeInTheDocument();
    await waitFor(() => expect(server.requests.filter((r) => r.method === "POST")).toHaveLength(1));
  });

  it("shows the server's message for a version that cannot be read, and refuses addresses that are not numbers", async () => {
    fakeServer({ "GET /api/v1/knowledge/documents/1/versions/9": { status: 404, body: { detail: "Not found.", code: "not_found" } } }, AGENT);
    at("/knowledge/1/versions/9");
    expect(await screen.findByRole("alert")).toHaveTextContent("Not found.");
  });

  it("answers an address that is not a version with a page-not-found", async () => {
    fakeServer({}, AGENT);
    at("/knowledge/1/versions/latest");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
  });
});
