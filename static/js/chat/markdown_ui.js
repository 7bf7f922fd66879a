// Message content as DOM (docs/ARCHITECTURE.md "Message rendering"): Markdown as chat products
// use it, parsed by the vendored lexer of marked (static/vendor/, scripts/vendor.mjs) into
// tokens, and the tokens turned into elements here with createElement and text nodes only. No
// HTML string is ever parsed: marked's HTML renderer is not used, raw HTML in a message shows
// as the text it is, and a link goes out only to http:, https: or mailto:.
//
// Pure apart from the ``doc`` it is given (the page's document, or a small fake in the Node
// tests): only doc.createElement, doc.createTextNode, node.append, node.setAttribute and
// node.textContent are used.

import { Lexer } from "../../vendor/marked-18.2.1/marked.esm.js";
import { cleanName, MENTION } from "./content.js";

export const LINK_SCHEMES = ["http:", "https:", "mailto:"];
// Deeper nesting (quotes in quotes in lists ...) shows as the text it is.
const MAX_DEPTH = 12;
// A single newline is a line break, as in chat products; GitHub's autolinks, strikethrough.
const LEXER_OPTIONS = { gfm: true, breaks: true };

/** Return the URL to link to for ``href``, or null when it must not be a link: only absolute
 * http:, https: and mailto: URLs (javascript:, data:, vbscript:, relative ones: null). */
export function safeHref(href) {
  let url;
  try {
    url = new URL(String(href));
  } catch {
    return null;
  }
  return LINK_SCHEMES.includes(url.protocol) ? url.href : null;
}

/** Return a code block's language as a safe class name part, or "" (first word only). */
export function codeLanguage(lang) {
  const word = String(lang || "")
    .trim()
    .split(/\s+/)[0];
  return /^[A-Za-z0-9_+#.-]{1,32}$/.test(word) ? word.toLowerCase() : "";
}

/** Return the lexer's tokens for ``text`` (marked's block and inline tokens). */
export function lex(text) {
  return new Lexer(LEXER_OPTIONS).lex(text);
}

/** Return the DOM nodes showing ``content`` (content.js: {text, format, mentions,
 * mention_all}). ``mentionNames``: Map of lower-cased username -> {self} for the people
 * ``content.mentions`` names (only those render as mentions; ``self``: the viewer). */
export function renderContent(content, { doc = globalThis.document, mentionNames = new Map() } = {}) {
  const text = String(content?.text ?? "");
  const ctx = { doc, mentionNames, mentionAll: content?.mention_all === true };
  if (content?.format === "plain") return [plainParagraph(ctx, text)];
  let nodes;
  try {
    nodes = blocks(ctx, lex(text), 0);
  } catch {
    nodes = []; // a lexer failure (pathological input) shows the text as it is
  }
  return nodes.length ? nodes : [plainParagraph(ctx, text)];
}

function make(ctx, tag, attrs = {}, children = []) {
  const node = ctx.doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (children.length) node.append(...children);
  return node;
}

const textNode = (ctx, text) => ctx.doc.createTextNode(String(text));

/** A paragraph of ``text`` as written, its newlines as line breaks. */
function plainParagraph(ctx, text) {
  const children = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (i) children.push(make(ctx, "br"));
    if (line) children.push(textNode(ctx, line));
  }
  return make(ctx, "p", {}, children);
}

/** A block shown as its source text (tables, raw HTML, link definitions, too deep). */
function rawBlock(ctx, raw) {
  return make(ctx, "p", { class: "md-raw" }, [textNode(ctx, String(raw).replace(/\n+$/, ""))]);
}

function blocks(ctx, tokens, depth) {
  const out = [];
  for (const token of tokens) {
    const node = block(ctx, token, depth);
    if (node) out.push(node);
  }
  return out;
}

function block(ctx, token, depth) {
  if (depth > MAX_DEPTH) return rawBlock(ctx, token.raw ?? "");
  switch (token.type) {
    case "space":
      return null;
    case "paragraph":
      return make(ctx, "p", {}, inline(ctx, token.tokens || [], depth));
    case "text": // a tight list item's text
      return make(ctx, "span", {}, token.tokens ? inline(ctx, token.tokens, depth) : withMentions(ctx, token.text));
    case "heading": // chat style: a bold line, no document outline in a message
      return make(ctx, "p", { class: "md-heading" }, [make(ctx, "strong", {}, inline(ctx, token.tokens || [], depth))]);
    case "code": {
      const lang = codeLanguage(token.lang);
      const code = make(ctx, "code", lang ? { class: `language-${lang}` } : {});
      code.textContent = token.text;
      return make(ctx, "pre", {}, [code]);
    }
    case "blockquote":
      return make(ctx, "blockquote", {}, blocks(ctx, token.tokens || [], depth + 1));
    case "list": {
      const attrs = {};
      if (token.ordered && Number.isSafeInteger(token.start) && token.start !== 1) attrs.start = String(token.start);
      const items = token.items.map((item) => make(ctx, "li", {}, listItem(ctx, item, depth + 1)));
      return make(ctx, token.ordered ? "ol" : "ul", attrs, items);
    }
    case "hr":
      return make(ctx, "hr");
    default: // html, table, def and whatever a later lexer adds: the text as written
      return rawBlock(ctx, token.raw ?? token.text ?? "");
  }
}

function listItem(ctx, item, depth) {
  return (item.tokens || []).flatMap((token) => {
    if (token.type === "checkbox") return [textNode(ctx, token.checked ? "☑ " : "☐ ")];
    // A tight item's text goes straight into the <li> (no wrapper: fewer boxes to lay out).
    if (token.type === "text" && depth <= MAX_DEPTH) {
      return token.tokens ? inline(ctx, token.tokens, depth) : withMentions(ctx, token.text);
    }
    const node = block(ctx, token, depth);
    return node ? [node] : [];
  });
}

function inline(ctx, tokens, depth, { inLink = false } = {}) {
  const out = [];
  for (const token of tokens) out.push(...inlineToken(ctx, token, depth, inLink));
  return out;
}

function inlineToken(ctx, token, depth, inLink) {
  if (depth > MAX_DEPTH) return [textNode(ctx, token.raw ?? "")];
  const wrap = (tag) => [make(ctx, tag, {}, inline(ctx, token.tokens || [], depth + 1, { inLink }))];
  switch (token.type) {
    case "text":
      if (token.tokens) return inline(ctx, token.tokens, depth + 1, { inLink });
      return inLink ? [textNode(ctx, token.text)] : withMentions(ctx, token.text);
    case "escape":
      return [textNode(ctx, token.text)];
    case "strong":
      return wrap("strong");
    case "em":
      return wrap("em");
    case "del":
      return wrap("del");
    case "codespan": {
      const code = make(ctx, "code");
      code.textContent = token.text;
      return [code];
    }
    case "br":
      return [make(ctx, "br")];
    case "link": {
      const href = inLink ? null : safeHref(token.href);
      if (!href) return [textNode(ctx, token.raw)]; // javascript:, data:, relative ...: text
      const attrs = { href, target: "_blank", rel: "noopener noreferrer" };
      if (token.title) attrs.title = String(token.title);
      return [make(ctx, "a", attrs, inline(ctx, token.tokens || [], depth + 1, { inLink: true }))];
    }
    default: // html (shown as written), image (no remote loading), checkbox, later types
      return [textNode(ctx, token.raw ?? token.text ?? "")];
  }
}

/** Text nodes for ``text``, with each ``@name`` the content mentions as a mention span. */
function withMentions(ctx, text) {
  if (!text.includes("@") || (!ctx.mentionNames.size && !ctx.mentionAll)) return [textNode(ctx, text)];
  const out = [];
  let at = 0;
  for (const match of text.matchAll(MENTION)) {
    const name = cleanName(match[2]);
    const key = name.toLowerCase();
    const person = ctx.mentionNames.get(key);
    const everyone = ctx.mentionAll && (key === "here" || key === "all");
    if (!person && !everyone) continue;
    const start = match.index + match[1].length;
    if (start > at) out.push(textNode(ctx, text.slice(at, start)));
    const mine = everyone || person.self;
    const span = make(ctx, "span", { class: `mention${mine ? " mention-me" : ""}${everyone ? " mention-all" : ""}` });
    span.textContent = `@${name}`;
    out.push(span);
    at = start + 1 + name.length;
  }
  if (at < text.length) out.push(textNode(ctx, text.slice(at)));
  return out;
}
