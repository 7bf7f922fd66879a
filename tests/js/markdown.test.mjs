// The message renderer (chat/markdown_ui.js): marked's tokens turned into elements, run on a
// tiny fake document (only what the renderer may use: createElement, createTextNode, append,
// setAttribute, textContent), so that a test sees exactly which elements and attributes come out.

import assert from "node:assert/strict";
import { test } from "node:test";

import { codeLanguage, renderContent, safeHref } from "../../static/js/chat/markdown_ui.js";

class FakeText {
  constructor(text) {
    this.text = String(text);
  }
  get textContent() {
    return this.text;
  }
}

class FakeElement {
  constructor(tag) {
    this.tag = tag;
    this.attributes = {};
    this.children = [];
  }
  append(...nodes) {
    for (const node of nodes) {
      assert.ok(node instanceof FakeElement || node instanceof FakeText, `append of ${typeof node}`);
      this.children.push(node);
    }
  }
  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }
  set textContent(text) {
    this.children = [new FakeText(text)];
  }
  get textContent() {
    return this.children.map((c) => c.textContent).join("");
  }
}

const doc = {
  createElement: (tag) => new FakeElement(tag),
  createTextNode: (text) => new FakeText(text),
};

const escape = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The nodes as HTML-like text (text escaped), for comparing shapes. */
function html(nodes) {
  return nodes
    .map((node) => {
      if (node instanceof FakeText) return escape(node.text);
      const attrs = Object.entries(node.attributes)
        .map(([k, v]) => ` ${k}="${v}"`)
        .join("");
      return `<${node.tag}${attrs}>${html(node.children)}</${node.tag}>`;
    })
    .join("");
}

function elements(nodes) {
  return nodes.flatMap((node) => (node instanceof FakeElement ? [node, ...elements(node.children)] : []));
}

const content = (text, extra = {}) => ({ v: 1, text, format: "markdown", mentions: [], mention_all: false, ...extra });
const render = (text, options = {}) => html(renderContent(content(text, options.content), { doc, ...options }));

test("inline formatting: bold, italic, strikethrough, inline code; a single newline is a line break", () => {
  assert.equal(
    render("**b** _i_ *j* ~~s~~ `c <x>`\nnext"),
    "<p><strong>b</strong> <em>i</em> <em>j</em> <del>s</del> <code>c &lt;x&gt;</code><br></br>next</p>",
  );
  assert.equal(render("a\n\nb"), "<p>a</p><p>b</p>");
  assert.equal(render("\\*not em\\*"), "<p>*not em*</p>");
});

test("blocks: code blocks with a sanitised language class, quotes, lists, headings as bold lines", () => {
  assert.equal(
    render("```js\nlet a = '<b>';\n```"),
    "<pre><code class=\"language-js\">let a = '&lt;b&gt;';</code></pre>",
  );
  assert.equal(render('```"><img src=x>\nx\n```'), "<pre><code>x</code></pre>");
  assert.equal(render("> quoted\n> more"), "<blockquote><p>quoted<br></br>more</p></blockquote>");
  assert.equal(render("- a\n- **b**"), "<ul><li>a</li><li><strong>b</strong></li></ul>");
  assert.equal(render("3. x\n4. y"), '<ol start="3"><li>x</li><li>y</li></ol>');
  assert.equal(render("1. x"), "<ol><li>x</li></ol>");
  assert.equal(render("# Title"), '<p class="md-heading"><strong>Title</strong></p>');
  assert.equal(render("- [x] done"), "<ul><li>☑ done</li></ul>");
});

test("links: http(s) and mailto only, new tab, no opener or referrer; GFM bare URLs", () => {
  const link = (href, text) => `<a href="${href}" target="_blank" rel="noopener noreferrer">${text}</a>`;
  assert.equal(
    render("see https://example.com/a?b=1"),
    `<p>see ${link("https://example.com/a?b=1", "https://example.com/a?b=1")}</p>`,
  );
  assert.equal(render("[docs](https://example.com)"), `<p>${link("https://example.com/", "docs")}</p>`);
  assert.equal(render("mail ann@example.com"), `<p>mail ${link("mailto:ann@example.com", "ann@example.com")}</p>`);
  assert.equal(render("www.example.com"), `<p>${link("http://www.example.com/", "www.example.com")}</p>`);
  for (const bad of [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html,<b>x</b>)",
    "[x](vbscript:msgbox(1))",
    "[x](/relative)",
    "<javascript:alert(1)>",
  ]) {
    const nodes = renderContent(content(bad), { doc });
    assert.deepEqual(
      elements(nodes).filter((node) => node.tag === "a"),
      [],
      bad,
    );
    assert.equal(nodes.map((n) => n.textContent).join(""), bad, bad);
  }
});

test("raw HTML, images and tables show as their text: nothing loads, nothing runs", () => {
  const nodes = renderContent(content('<img src=x onerror=alert(1)> and <b>bold</b>\n\n<div onclick="x">block</div>'), {
    doc,
  });
  assert.equal(
    html(nodes),
    '<p>&lt;img src=x onerror=alert(1)&gt; and &lt;b&gt;bold&lt;/b&gt;</p><p class="md-raw">&lt;div onclick="x"&gt;block&lt;/div&gt;</p>',
  );
  assert.equal(render("![alt](https://example.com/a.png)"), "<p>![alt](https://example.com/a.png)</p>");
  assert.equal(render("| a | b |\n|---|---|\n| 1 | 2 |"), '<p class="md-raw">| a | b |\n|---|---|\n| 1 | 2 |</p>');
});

test("only the allowed elements and attributes ever come out, and every href passes the scheme filter", () => {
  const nasty = [
    "<script>alert(1)</script>",
    "<iframe src=https://x>",
    "[a](javascript:alert(1)) [b](https://ok.example) <a href=javascript:x>c</a>",
    "![i](javascript:alert(1)) ![j](https://x/y.png)",
    '```"onmouseover="alert(1)\nx\n```',
    "> <style>*{}</style>\n> - `x` **y** ~~z~~",
    "[x](https://a.example 'title\" onclick=\"y')",
    "<https://ok.example> <mailto:a@b.example> <data:text/html,x>",
    "# h\n\n---\n\n1. a\n   - b\n     > c",
  ];
  const tags = new Set([
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "span",
    "hr",
  ]);
  const attrs = new Set(["href", "target", "rel", "title", "class", "start"]);
  for (const text of nasty) {
    for (const node of elements(renderContent(content(text), { doc }))) {
      assert.ok(tags.has(node.tag), `${node.tag} from ${text}`);
      for (const [name, value] of Object.entries(node.attributes)) {
        assert.ok(attrs.has(name), `${name} from ${text}`);
        if (name === "href") assert.equal(safeHref(value), value);
        if (name === "class") assert.match(value, /^[\w -]+$/);
      }
    }
  }
});

test("mentions: only names of people the content mentions are highlighted, the viewer more", () => {
  const mentionNames = new Map([
    ["bob", { self: false }],
    ["me", { self: true }],
  ]);
  assert.equal(
    render("@bob, @Me. and @eve", { mentionNames }),
    '<p><span class="mention">@bob</span>, <span class="mention mention-me">@Me</span>. and @eve</p>',
  );
  assert.equal(render("`@bob` [@bob](https://x.example)", { mentionNames }).includes("mention"), false);
  assert.equal(render("**@bob**", { mentionNames }), '<p><strong><span class="mention">@bob</span></strong></p>');
  assert.equal(render("bob@bob.example", { mentionNames }).includes("mention"), false);
  assert.equal(render("@here now"), "<p>@here now</p>"); // no mention_all: plain text
  assert.equal(
    render("@here now", { content: { mention_all: true } }),
    '<p><span class="mention mention-me mention-all">@here</span> now</p>',
  );
});

test('format "plain": the text as written, with line breaks', () => {
  const nodes = renderContent(content("**x** <b>\nline", { format: "plain" }), { doc });
  assert.equal(html(nodes), "<p>**x** &lt;b&gt;<br></br>line</p>");
});

test("pathological input does not throw and keeps its text", () => {
  const deep = ">".repeat(300) + " deep";
  const nodes = renderContent(content(deep), { doc });
  assert.ok(
    nodes
      .map((n) => n.textContent)
      .join("")
      .includes("deep"),
  );
  const lists = Array.from({ length: 40 }, (_, i) => `${"  ".repeat(i)}- x${i}`).join("\n");
  assert.ok(renderContent(content(lists), { doc }).length > 0);
  assert.equal(html(renderContent(content(""), { doc })), "<p></p>");
});

test("safeHref and codeLanguage", () => {
  assert.equal(safeHref("https://a.example/x"), "https://a.example/x");
  assert.equal(safeHref("MAILTO:a@b.example"), "mailto:a@b.example");
  assert.equal(safeHref(" javascript:alert(1)"), null);
  assert.equal(safeHref("java\tscript:alert(1)"), null);
  assert.equal(safeHref("ftp://a.example"), null);
  assert.equal(safeHref("/x"), null);
  assert.equal(codeLanguage("Python extra"), "python");
  assert.equal(codeLanguage('x" onclick'), "");
  assert.equal(codeLanguage(""), "");
});
