import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

describe("markdown", () => {
  it("renders Markdown and strips anything that could run or phone home", () => {
    const html = renderMarkdown(
      '# Title\n\n**bold** <script>alert(1)</script><iframe src="https://x"></iframe>\n\n<a href="javascript:alert(1)">x</a> <img src="https://tracker.example/p.gif" alt="p"> <img src="/media/ok.png" alt="ok"> <p style="color:red" onclick="x()">s</p>',
    );
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).not.toMatch(/<script|<iframe|javascript:|onclick|style=|src="https:/);
    expect(html).toContain('title="Remote image not loaded: https://tracker.example/p.gif"');
    expect(html).toContain('src="/media/ok.png"');
  });
});
