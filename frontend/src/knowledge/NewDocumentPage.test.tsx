import { fireEvent, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeServer, KNOWLEDGE_ADMIN, renderAt } from "../test/server";
import { doc, OPTIONS, version, versionRow } from "./fixtures";
import { KnowledgeRoutes } from "./KnowledgeRoutes";

const at = (path: string) => renderAt(<KnowledgeRoutes />, { path, route: "/knowledge/*" });

describe("new document", () => {
  it("creates a draft from the Markdown editor and opens it", async () => {
    const server = fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "POST /api/v1/knowledge/documents": { status: 201, body: doc({ id: 5, title: "Bank feeds", latest_version: 1 }) },
        "GET /api/v1/knowledge/documents/5": { body: doc({ id: 5, title: "Bank feeds", latest_version: 1 }) },
        "GET /api/v1/knowledge/documents/5/versions": { body: [versionRow(1)] },
        "GET /api/v1/knowledge/documents/5/versions/1": { body: version(1, { title: "Bank feeds", text: "# Feeds" }) },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/new");
    await userEvent.type(await screen.findByLabelText("Title"), "Bank feeds");
    await screen.findByRole("option", { name: "Troubleshooting" });
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "troubleshooting");
    fireEvent.change(screen.getByLabelText("Text (Markdown)"), { target: { value: "# Feeds\n\nThey sync hourly." } });
    expect(await screen.findByRole("heading", { name: "Feeds" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Create draft" }));
    expect(await screen.findByRole("heading", { name: "Bank feeds", level: 1 })).toBeInTheDocument();
    expect(server.requests.find((r) => r.method === "POST")!.body).toEqual({
      title: "Bank feeds",
      text: "# Feeds\n\nThey sync hourly.",
      kind: "troubleshooting",
      language: "en",
      status: "draft",
    });
  });

  it("shows the API's field error beside the field", async () => {
    fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "POST /api/v1/knowledge/documents": { status: 400, body: { detail: "Invalid input.", code: "invalid", errors: { language: ["This value does not match the required pattern."] } } },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/new");
    await userEvent.type(await screen.findByLabelText("Title"), "X");
    const language = screen.getByLabelText("Language");
    await userEvent.clear(language);
    await userEvent.type(language, "english!");
    fireEvent.change(screen.getByLabelText("Text (Markdown)"), { target: { value: "Text" } });
    await userEvent.click(screen.getByRole("button", { name: "Create draft" }));
    expect(await screen.findByText("language: This value does not match the required pattern.")).toBeInTheDocument();
    expect(screen.getByLabelText("Language")).toHaveAccessibleDescription("This value does not match the required pattern.");
  });
});
