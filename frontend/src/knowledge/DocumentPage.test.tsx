import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AGENT, fakeServer, KNOWLEDGE_ADMIN, renderAt, type Answer } from "../test/server";
import { doc, indexing, OPTIONS, version, versionRow } from "./fixtures";
import { KnowledgeRoutes } from "./KnowledgeRoutes";

const at = (path: string) => renderAt(<KnowledgeRoutes />, { path, route: "/knowledge/*" });

function documentRoutes(extra: Record<string, Answer> = {}, texts: Record<number, string> = {}): Record<string, Answer> {
  return {
    "GET /api/v1/knowledge/documents/{id}": { body: {} },
    "GET /api/v1/knowledge/documents/1": { body: doc() },
    "GET /api/v1/knowledge/documents/1/versions": { body: [versionRow(2), versionRow(1)] },
    "GET /api/v1/knowledge/documents/1/versions/1": { body: version(1, texts[1] ? { text: texts[1] } : {}) },
    "GET /api/v1/knowledge/documents/1/versions/2": { body: version(2, texts[2] ? { text: texts[2] } : {}) },
    "GET /api/v1/knowledge/options": { body: OPTIONS },
    ...extra,
  };
}

describe("document page", () => {
  it("saves the edited title and text as a new version with its note", async () => {
    const server = fakeServer(
      documentRoutes({
        "POST /api/v1/knowledge/documents/1/versions": { status: 201, body: versionRow(3, { title: "Refunds and returns" }) },
      }),
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/1");
    const text = await screen.findByLabelText("Text (Markdown)");
    expect(text).toHaveValue("# Refunds\n\nVersion 2 text.");
    expect(screen.getByRole("button", { name: "Save new version" })).toBeDisabled();

    const title = screen.getByLabelText("Title");
    await userEvent.clear(title);
    await userEvent.type(title, "Refunds and returns");
    fireEvent.change(text, { target: { value: "# Refunds\n\nWithin **30** days." } });
    await userEvent.type(screen.getByLabelText("Version note (optional)"), "Longer window");
    // The preview follows the text.
    await waitFor(() => expect(within(screen.getByRole("region", { name: "Preview" })).getByText("30").tagName).toBe("STRONG"));
    await userEvent.click(screen.getByRole("button", { name: "Save new version" }));

    expect(await screen.findByText(/Saved as version 3\./)).toBeInTheDocument();
    const post = server.requests.find((r) => r.method === "POST")!;
    expect(post.path).toBe("/api/v1/knowledge/documents/1/versions");
    expect(post.body).toEqual({ title: "Refunds and returns", text: "# Refunds\n\nWithin **30** days.", note: "Longer window" });
    expect(screen.getByLabelText("Version note (optional)")).toHaveValue("");
  });

  it("shows the server's reason next to the form when saving fails", async () => {
    fakeServer(
      documentRoutes({
        "POST /api/v1/knowledge/documents/1/versions": { status: 400, body: { detail: "The text has no content to index.", code: "invalid", errors: { text: ["The text has no content to index."] } } },
      }),
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/1");
    fireEvent.change(await screen.findByLabelText("Text (Markdown)"), { target: { value: "---" } });
    await userEvent.click(screen.getByRole("button", { name: "Save new version" }));
    const alerts = await screen.findAllByRole("alert");
    expect(alerts.map((a) => a.textContent)).toContain("The text has no content to index.");
  });

  it("publishes, archives and restores through the status the API takes", async () => {
    let current = doc();
    const server = fakeServer(
      documentRoutes({
        "GET /api/v1/knowledge/documents/1": () => ({ body: current }),
        "PATCH /api/v1/knowledge/documents/1": async (request) => {
          current = doc({ status: (await request.json()).status });
          return { body: current };
        },
      }),
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/1");
    await userEvent.click(await screen.findByRole("button", { name: "Publish" }));
    await userEvent.click(await screen.findByRole("button", { name: "Archive" }));
    await userEvent.click(await screen.findByRole("button", { name: "Restore" }));
    expect(await screen.findByRole("button", { name: "Publish" })).toBeInTheDocument();
    const patches = server.requests.filter((r) => r.method === "PATCH").map((r) => r.body);
    expect(patches).toEqual([{ status: "published" }, { status: "archived" }, { status: "draft" }]);
  });

  it("sends only the changed settings and shows a field error from the API beside its field", async () => {
    let current = doc();
    const server = fakeServer(
      documentRoutes({
        "GET /api/v1/knowledge/documents/1": () => ({ body: current }),
        "PATCH /api/v1/knowledge/documents/1": async (request) => {
          const body = await request.json();
          if (body.valid_until) {
            return { status: 400, body: { detail: "valid_until is before valid_from.", code: "invalid", errors: { valid_until: ["valid_until is before valid_from."] } } };
          }
          current = doc({ audience: "plans", audience_plans: ["growth"], products: ["books"] });
          return { body: current };
        },
      }),
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/1");
    const settings = await screen.findByRole("form", { name: "Document settings" });
    await userEvent.click(within(settings).getByLabelText("Customers on some plans"));
    await userEvent.click(within(settings).getByLabelText("Growth"));
    await userEvent.click(within(settings).getByLabelText("Quill Books"));
    await userEvent.click(within(settings).getByRole("button", { name: "Save settings" }));
    await waitFor(() => expect(within(settings).getByText("Settings saved.")).toBeInTheDocument());
    expect(server.requests.find((r) => r.method === "PATCH")!.body).toEqual({ audience: "plans", plans: ["growth"], products: ["books"] });

    fireEvent.change(within(settings).getByLabelText("Valid until"), { target: { value: "2020-01-01" } });
    await userEvent.click(within(settings).getByRole("button", { name: "Save settings" }));
    const until = within(settings).getByLabelText("Valid until");
    await waitFor(() => expect(until).toHaveAccessibleDescription("valid_until is before valid_from."));
    expect(until).toHaveAttribute("aria-invalid", "true");
    expect(server.requests.filter((r) => r.method === "PATCH").at(-1)!.body).toEqual({ valid_until: "2020-01-01" });
  });

  it("compares two versions word by word and line by line, marked for screen readers", async () => {
    fakeServer(documentRoutes({}, { 1: "Refunds within 14 days.\nKeep the receipt.", 2: "Refunds within 30 days.\nKeep the receipt." }), KNOWLEDGE_ADMIN);
    at("/knowledge/1");
    const history = await screen.findByRole("region", { name: "Version history" });
    const figure = await within(history).findByRole("figure", { name: "Changes from version 1 to version 2" });
    expect(within(figure).getByText("1 word added")).toBeInTheDocument();
    const added = figure.querySelector("ins")!;
    const removed = figure.querySelector("del")!;
    expect(added).toHaveTextContent("[added: 30]");
    expect(removed).toHaveTextContent("[removed: 14]");

    await userEvent.click(within(history).getByRole("button", { name: "Lines" }));
    const lines = await within(history).findByRole("figure", { name: "Changes from version 1 to version 2" });
    expect(within(lines).getByText("1 line added")).toBeInTheDocument();
    expect(lines.querySelector("ins")).toHaveTextContent("Added line: Refunds within 30 days.");
    expect(lines.querySelector("del")).toHaveTextContent("Removed line: Refunds within 14 days.");

    await userEvent.click(within(history).getByRole("radio", { name: "Compare from version 2" }));
    expect(await within(history).findByText("Choose two different versions in the From and To columns.")).toBeInTheDocument();
  });

  it("restores an older version from the history", async () => {
    const server = fakeServer(
      documentRoutes({ "POST /api/v1/knowledge/documents/1/versions/1/restore": { status: 201, body: versionRow(3, { note: "Restored version 1" }) } }),
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/1");
    await userEvent.click(await screen.findByRole("button", { name: "Restore version 1" }));
    expect(await screen.findByText("Version 1 restored as version 3.")).toBeInTheDocument();
    expect(server.requests.find((r) => r.method === "POST")!.body).toEqual({});
  });

  it("shows a reader the rendered text and settings, without edit controls, and sanitises the text", async () => {
    fakeServer(
      documentRoutes({
        "GET /api/v1/knowledge/documents/1": { body: doc({ status: "published", indexing: indexing("embedding", 1, 3, null, 2) }) },
        "GET /api/v1/knowledge/documents/1/versions/2": {
          body: version(2, { text: '# Refunds\n\n<img src="https://evil.example/x.png" onerror="alert(1)">\n\n<script>alert(2)</script>\n\n[site](https://quill.example)' }),
        },
      }),
      AGENT,
    );
    at("/knowledge/1");
    const text = await screen.findByRole("region", { name: "Document text" });
    expect(within(text).getByRole("heading", { name: "Refunds" })).toBeInTheDocument();
    expect(text.querySelector("script")).toBeNull();
    expect(text.querySelector("img")!.getAttribute("onerror")).toBeNull();
    expect(text.querySelector("img")!.getAttribute("src")).toBeNull();
    expect(within(text).getByRole("link", { name: "site" })).toHaveAttribute("rel", "noopener noreferrer nofollow");
    expect(screen.queryByLabelText("Text (Markdown)")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Publish|Archive|Save/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Restore version 1" })).not.toBeInTheDocument();
    expect(screen.getAllByText("embedding 1/3").length).toBeGreaterThan(0);
  });

  it("shows the server's message for a document that cannot be read", async () => {
    fakeServer({ "GET /api/v1/knowledge/documents/9": { status: 404, body: { detail: "Not found.", code: "not_found" } } }, KNOWLEDGE_ADMIN);
    at("/knowledge/9");
    expect(await screen.findByRole("alert")).toHaveTextContent("Not found.");
  });
});
