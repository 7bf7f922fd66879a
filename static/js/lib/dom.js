// Small DOM helpers. Text from users or the network only ever goes in as text nodes.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Return a new element; props set attributes (class, text, dataset, on<event>), children are
 * nodes or strings (added as text, never parsed as HTML). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Return an icon from the sprite (templates/includes/icons.html). Decorative unless labelled. */
export function icon(name, { label = "", className = "" } = {}) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", `icon ${className}`.trim());
  svg.setAttribute("focusable", "false");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    const title = document.createElementNS(SVG_NS, "title");
    title.textContent = label;
    svg.append(title);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/** Return an icon-only button; ``label`` is its accessible name (and tooltip). */
export function iconButton(name, label, props = {}) {
  return el(
    "button",
    { type: "button", class: "icon-button", "aria-label": label, title: label, ...props },
    icon(name),
  );
}

/** Show ``text`` in ``node`` (or hide it when empty). */
export function setMessage(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

export function byId(id) {
  return document.getElementById(id);
}
