// Markdown of dashboard text tiles, made safe: marked turns it into HTML with any raw HTML in
// the text escaped (shown as typed, never parsed), and DOMPurify keeps only harmless markup (no
// scripts, handlers or styles) as DOM nodes, never a string for innerHTML. Links open in a new
// tab without access to this page.
import DOMPurify from "dompurify";
import { Marked } from "marked";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escape = (text) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html: ({ text }) => escape(text),
  },
});

const purify = DOMPurify(window);
purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

/** Markdown as a DocumentFragment of sanitized nodes. */
export function renderMarkdown(text) {
  return purify.sanitize(marked.parse(text || ""), {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select"],
    FORBID_ATTR: ["style"],
    RETURN_DOM_FRAGMENT: true,
  });
}
