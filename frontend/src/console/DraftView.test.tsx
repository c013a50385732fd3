import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AgentNote, FlagList } from "./DraftView";

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
      />,
    );
    const item = screen.getByRole("listitem");
    expect(item).toHaveTextContent("A link that is in no document was removed.");
    expect(item).toHaveTextContent("https://evil.example/pay");
  });
});
