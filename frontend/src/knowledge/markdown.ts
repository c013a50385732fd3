// Markdown to safe HTML. Document text is hostile input: everything marked produces goes through DOMPurify,
// with a private instance so these rules never leak into other parts of the console.
import createDOMPurify from "dompurify";
import { Marked } from "marked";

const markdown = new Marked({ gfm: true, breaks: false });
const purify = createDOMPurify(window);

/** Images only from this site or inline data: a remote image would tell its host who read the document. */
function localImage(src: string): boolean {
  return (src.startsWith("/") && !src.startsWith("//")) || src.startsWith("data:image/");
}

purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.getAttribute("href")) {
    node.setAttribute("rel", "noopener noreferrer nofollow");
    node.setAttribute("target", "_blank");
  }
  if (node.tagName === "IMG") {
    const src = node.getAttribute("src") ?? "";
    if (!localImage(src)) {
      node.removeAttribute("src");
      node.removeAttribute("srcset");
      node.setAttribute("title", `Remote image not loaded: ${src}`);
    }
  }
});

const FORBID_TAGS = ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"];

export function renderMarkdown(text: string): string {
  const html = markdown.parse(text, { async: false });
  return purify.sanitize(html, { FORBID_TAGS, FORBID_ATTR: ["style"] });
}
