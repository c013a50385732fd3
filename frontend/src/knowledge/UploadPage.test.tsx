import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeServer, KNOWLEDGE_ADMIN, AGENT, renderAt } from "../test/server";
import { OPTIONS } from "./fixtures";
import { KnowledgeRoutes } from "./KnowledgeRoutes";

const at = (path: string) => renderAt(<KnowledgeRoutes />, { path, route: "/knowledge/*" });

describe("upload", () => {
  it("sends each file in a request of its own and shows each file's result", async () => {
    const bodies: string[] = [];
    const server = fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "POST /api/v1/knowledge/documents/upload": async (request) => {
          const body = await request.text();
          bodies.push(body);
          if (body.includes("GOOD-RETURNS"))
            return { status: 201, body: [{ name: "returns.md", ok: true, document_id: 41, version_id: 90, created: true, unchanged: false, error: "" }] };
          if (body.includes("SAME-FAQ"))
            return { status: 201, body: [{ name: "faq.md", ok: true, document_id: 42, version_id: 91, created: false, unchanged: true, error: "" }] };
          if (body.includes("BROKEN-PDF"))
            return { status: 400, body: [{ name: "scan.pdf", ok: false, document_id: null, version_id: null, created: false, unchanged: false, error: "scan.pdf: the PDF could not be read" }] };
          return { status: 413, body: { detail: "Request body too large.", code: "too_large" } };
        },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/upload");
    await screen.findByRole("option", { name: "FAQ" });
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "faq");
    await userEvent.upload(screen.getByLabelText("Upload documents"), [
      new File(["# Returns GOOD-RETURNS"], "returns.md", { type: "text/markdown" }),
      new File(["%PDF BROKEN-PDF"], "scan.pdf", { type: "application/pdf" }),
      new File(["# FAQ SAME-FAQ"], "faq.md", { type: "text/markdown" }),
      new File(["HUGE"], "huge.txt", { type: "text/plain" }),
    ]);

    await waitFor(() => expect(screen.getByText("2 stored, 2 failed")).toBeInTheDocument());
    const posts = server.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(4);
    expect(posts.every((r) => r.headers.get("X-CSRFToken") === "test-token")).toBe(true);
    // One file per request, with the chosen metadata.
    expect(bodies.map((b) => (b.match(/name="files"/g) ?? []).length)).toEqual([1, 1, 1, 1]);
    expect(bodies.every((b) => /name="kind"\r\n\r\nfaq/.test(b) && /name="status"\r\n\r\ndraft/.test(b))).toBe(true);

    const row = (name: string) => screen.getByText(name).closest("tr")!;
    expect(within(row("returns.md")).getByText("created")).toBeInTheDocument();
    expect(within(row("returns.md")).getByRole("link", { name: "Open document #41" })).toHaveAttribute("href", "/knowledge/41");
    expect(within(row("faq.md")).getByText("unchanged")).toBeInTheDocument();
    expect(within(row("scan.pdf")).getByText("failed")).toBeInTheDocument();
    expect(within(row("scan.pdf")).getByText("scan.pdf: the PDF could not be read")).toBeInTheDocument();
    expect(within(row("huge.txt")).getByText("The file is larger than the server accepts.")).toBeInTheDocument();
  });

  it("takes dropped files too", async () => {
    const server = fakeServer(
      {
        "GET /api/v1/knowledge/options": { body: OPTIONS },
        "POST /api/v1/knowledge/documents/upload": {
          status: 201,
          body: [{ name: "a.md", ok: true, document_id: 5, version_id: 6, created: true, unchanged: false, error: "" }],
        },
      },
      KNOWLEDGE_ADMIN,
    );
    at("/knowledge/upload");
    const zone = (await screen.findByText("Drop files here")).closest(".kb-dropzone")!;
    const file = new File(["# A"], "a.md", { type: "text/markdown" });
    const { fireEvent } = await import("@testing-library/react");
    fireEvent.drop(zone, { dataTransfer: { files: [file] } });
    expect(await screen.findByRole("link", { name: "Open document #5" })).toBeInTheDocument();
    expect(server.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("tells a reader that uploading needs write access", async () => {
    fakeServer({}, AGENT);
    at("/knowledge/upload");
    expect(await screen.findByRole("alert")).toHaveTextContent("needs the knowledge:write scope");
    expect(screen.queryByLabelText("Upload documents")).not.toBeInTheDocument();
  });
});
