// Markdown to safe HTML. Document text is hostile input: everything marked produces goes through DOMPurify,
// with a private instance so these rules never leak into other parts of the console.
//
// The preview shows what readers would not see, marked as such, so a reviewer is never shown less than search
// and drafts were given: HTML comments and Markdown comments (link definitions nothing links to) become
// dashed boxes, elements hidden by style or the hidden attribute are shown outlined, and zero-width or
// bidirectional-control characters are spelled out (⟦U+200B⟧).
import createDOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";
import { characterName, invisiblePieces, spelled } from "./invisible";

const purify = createDOMPurify(window);

export const COMMENT_LABEL = "Hidden comment (not shown to readers, not used by drafts):";
export const ELEMENT_LABEL = "Hidden element (not shown to readers, not used by drafts)";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function commentBox(text: string, block: boolean): string {
  const tag = block ? "div" : "span";
  return `<${tag} class="kb-hidden-comment"><span class="kb-hidden-label">${COMMENT_LABEL}</span> ${escapeHtml(text.trim())}</${tag}>`;
}

// `<!-->` and `<!--->` are empty comments; an unclosed one runs to the end, as a browser reads it.
const COMMENT = /<!--(?:-?>|([\s\S]*?)(?:-->|$))/g;
const DEFINITION_LINE = /^ {0,3}(?:>[ \t]?)*\[(?:[^\][\\\n]|\\.)+\]:/;
const BRACKETED = /\[((?:[^\][\\\n]|\\.){1,999})\]/g;
const COMMENT_IDIOMS = new Set(["#", "", "//"]);

const label = (raw: string) => raw.trim().replace(/\s+/g, " ").toLowerCase();

/** Link labels the text refers to (`[text][label]`, `[label]`), outside the definitions themselves. */
function usedLabels(text: string): Set<string> {
  const used = new Set<string>();
  for (const line of text.split("\n")) {
    const rest = line.replace(DEFINITION_LINE, "");
    for (const match of rest.matchAll(BRACKETED)) used.add(label(match[1]));
  }
  return used;
}

function markdownFor(text: string): Marked {
  const used = usedLabels(text);
  const markdown = new Marked({ gfm: true, breaks: false });
  markdown.use({
    renderer: {
      html({ text: raw, block }: Tokens.HTML | Tokens.Tag) {
        return raw.replace(COMMENT, (_match, body: string | undefined) => (body && body.trim() ? commentBox(body, !!block) : ""));
      },
      def({ tag, href, title }: Tokens.Def) {
        const idiom = COMMENT_IDIOMS.has(href) || tag === "//" || tag === "comment";
        if (!idiom && used.has(tag)) return "";
        const hidden = title || href;
        return hidden.trim() ? commentBox(hidden, true) : "";
      },
    },
  });
  return markdown;
}

/** Images only from this site or inline data: a remote image would tell its host who read the document. */
function localImage(src: string): boolean {
  return (src.startsWith("/") && !src.startsWith("//")) || src.startsWith("data:image/");
}

// Why an element would hide its text, read before DOMPurify drops its style and hidden attribute (which
// shows it). A preview aid only: the server's findings (knowledge/safety) are the authority.
const HIDING_STYLE = [
  /(?:^|;)\s*display\s*:\s*none/i,
  /(?:^|;)\s*visibility\s*:\s*(?:hidden|collapse)/i,
  /(?:^|;)\s*opacity\s*:\s*0*(?:\.0*)?\s*(?:;|$)/i,
  /(?:^|;)\s*font-size\s*:\s*(?:0|0?\.\d+|1(?:\.\d+)?)(?:px|pt)?\s*(?:;|$)/i,
  /(?:^|;)\s*(?:left|top|right|bottom|text-indent|margin-left|margin-top)\s*:\s*-\d{3,}/i,
  /(?:^|;)\s*color\s*:\s*(?:#f{3}\b|#f{6}\b|white\b|transparent\b|rgba?\(\s*255\s*,\s*255\s*,\s*255\s*(?:,\s*1\s*)?\))/i,
];
const hiddenElements = new WeakSet<Element>();

function hidesItsText(node: Element): boolean {
  if (node.hasAttribute("hidden")) return true;
  const style = node.getAttribute("style") ?? "";
  if (HIDING_STYLE.some((pattern) => pattern.test(style))) return true;
  const color = /(?:^|;)\s*color\s*:\s*([^;]+)/i.exec(style)?.[1]?.trim().toLowerCase();
  const background = /(?:^|;)\s*background(?:-color)?\s*:\s*([^;]+)/i.exec(style)?.[1]?.trim().toLowerCase();
  return !!color && color === background;
}

const OWN_CLASSES = new Set(["kb-hidden-comment", "kb-hidden-label"]);

purify.addHook("beforeSanitizeAttributes", (node) => {
  if (node instanceof Element && hidesItsText(node)) hiddenElements.add(node);
});

purify.addHook("uponSanitizeAttribute", (_node, data) => {
  // The console's own classes could hide text in the preview (`visually-hidden`): only code languages and
  // the preview's markers are kept.
  if (data.attrName !== "class") return;
  const kept = data.attrValue.split(/\s+/).filter((name) => /^language-[\w-]+$/.test(name) || OWN_CLASSES.has(name));
  data.attrValue = kept.join(" ");
  data.keepAttr = kept.length > 0;
});

purify.addHook("afterSanitizeAttributes", (node) => {
  if (hiddenElements.has(node)) {
    node.classList.add("kb-hidden-element");
    node.setAttribute("title", ELEMENT_LABEL);
  }
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

/** Invisible characters in the sanitised tree's text, replaced by visible tokens. */
function spellInvisible(root: DocumentFragment): void {
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node as Text);
  for (const node of texts) {
    const pieces = invisiblePieces(node.data);
    if (!pieces.some((piece) => piece.invisible)) continue;
    const replacement = root.ownerDocument.createDocumentFragment();
    for (const piece of pieces) {
      if (!piece.invisible) {
        replacement.append(piece.text);
        continue;
      }
      const mark = root.ownerDocument.createElement("span");
      mark.className = "kb-invisible";
      mark.title = `Invisible character: ${characterName(piece.text)}`;
      mark.textContent = spelled(piece.text);
      replacement.append(mark);
    }
    node.replaceWith(replacement);
  }
}

export function renderMarkdown(text: string): string {
  const html = markdownFor(text).parse(text, { async: false });
  const fragment = purify.sanitize(html, { FORBID_TAGS, FORBID_ATTR: ["style", "hidden"], RETURN_DOM_FRAGMENT: true });
  spellInvisible(fragment);
  const holder = document.createElement("div");
  holder.append(fragment);
  return holder.innerHTML;
}
