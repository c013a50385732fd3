import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { testClient } from "../test/server";
import { AgentNote, DraftView, FlagList } from "./DraftView";

/** `ui` with what a citation marker needs about it: a query client and a router. */
function renderWithin(ui: ReactElement) {
  return render(
    <QueryClientProvider client={testClient()}>
      <MemoryRouter>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
}

const CITATION = { marker: 1, document_id: 4, version_id: 40, chunk_id: 400, title: "Refunds for software", heading: "", quote: "Refundable in full within 14 days." };

describe("the agent's note and the flags' reasons", () => {
  it("shows what internal documents say, apart from the draft", () => {
    render(<AgentNote note={"Internal guidance (staff only, not in the reply):\n- [2] Refund approval limits: Agents approve up to 150 EUR."} />);
    const note = screen.getByRole("region", { name: "Note for the agent (not sent)" });
    expect(note).toHaveTextContent("Internal guidance (staff only, not in the reply):");
    expect(note).toHaveTextContent("[2] Refund approval limits: Agents approve up to 150 EUR.");
  });

  it("says nothing when no internal document was used", () => {
    const { container } = render(<AgentNote note="" />);
    expect(container).toBeEmptyDOMElement();
  });

  it("gives each flag its reason and the text that was taken out", () => {
    render(
      <FlagList
        flags={[{ kind: "removed_link", text: "https://evil.example/pay", marker: null, reason: "A link that is in no document was removed." }]}
        citations={[]}
      />,
    );
    const item = screen.getByRole("listitem");
    expect(item).toHaveTextContent("A link that is in no document was removed.");
    expect(item).toHaveTextContent("https://evil.example/pay");
  });
});

describe("a draft's Markdown", () => {
  const DRAFT =
    "Hi Dana,\n\nMonthly charges are refundable **in full within 14 days** [1].\n\n1. Open [Settings](https://app.example/settings).\n2. Select *Request refund*.\n\nKind regards,\nSupport";

  it("shows bold as bold, steps as a list and links as text with their address, markers still clickable", () => {
    const { container } = renderWithin(<DraftView text={DRAFT} citations={[CITATION]} flags={[]} />);
    expect(container.querySelector("strong")).toHaveTextContent("in full within 14 days");
    const steps = screen.getByRole("list");
    expect(steps.tagName).toBe("OL");
    expect(within(steps).getAllByRole("listitem").map((item) => item.textContent)).toEqual([
      "Open Settings (https://app.example/settings).",
      "Select Request refund.",
    ]);
    expect(container.querySelector("a")).toBeNull(); // an address to read, not a link to follow from here
    expect(screen.getByRole("button", { name: "Citation 1: Refunds for software" })).toBeInTheDocument();
    expect(container.textContent).not.toContain("**");
    expect(container.textContent).toContain("Kind regards,\nSupport"); // the line break kept
  });

  it("never turns the draft's text into markup", () => {
    const hostile = 'Hello <img src="x" onerror="alert(1)"> and <script>alert(2)</script>\n\n<div onclick="x()">block</div>';
    const { container } = renderWithin(<DraftView text={hostile} citations={[]} flags={[]} />);
    expect(container.querySelector("img, script, [onclick], [onerror]")).toBeNull();
    expect(container.textContent).toContain('<img src="x" onerror="alert(1)">');
  });

  it("marks a flagged sentence even when Markdown runs through it", () => {
    const flags = [{ kind: "contradicted" as const, text: "Monthly charges are refundable **in full within 14 days** [1].", marker: 1, reason: "It says the opposite." }];
    const { container } = renderWithin(<DraftView text={DRAFT} citations={[CITATION]} flags={flags} />);
    const mark = container.querySelector("mark.flag-contradicted");
    expect(mark).toHaveTextContent("Monthly charges are refundable in full within 14 days");
    expect(mark?.querySelector("strong")).toHaveTextContent("in full within 14 days");
    expect(within(mark as HTMLElement).getByRole("button", { name: /Citation 1/ })).toBeInTheDocument();
  });
});

describe("the flags panel", () => {
  it("says every sentence is backed only when it is", () => {
    const { rerender } = render(<FlagList flags={[]} citations={[CITATION]} />);
    expect(screen.getByText("Every sentence is backed by its citation.")).toBeInTheDocument();
    rerender(<FlagList flags={[]} citations={[]} />);
    expect(screen.queryByText(/Every sentence is backed/)).toBeNull();
    expect(screen.getByText(/cites no document/)).toBeInTheDocument();
  });

  it("counts the sentences that need a check and lists every flag with its reason", () => {
    render(
      <FlagList
        citations={[CITATION]}
        flags={[
          { kind: "uncited_claim", text: "We will also add a free month of credit.", marker: null, reason: "It states what the customer is entitled to without a citation." },
          { kind: "contradicted", text: "Annual plans cannot be refunded [1].", marker: 1, reason: "It says the opposite of [1] Refunds for software." },
        ]}
      />,
    );
    expect(screen.queryByText(/Every sentence is backed/)).toBeNull();
    expect(screen.getByText("2 sentences need a check.")).toBeInTheDocument();
    const items = screen.getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("It states what the customer is entitled to without a citation.");
    expect(items[0]).toHaveTextContent("We will also add a free month of credit.");
    expect(items[1]).toHaveTextContent("It says the opposite of [1] Refunds for software.");
  });
});
