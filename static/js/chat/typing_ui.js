// "Ann is typing…" under the messages (#typing-indicator, aria-live polite). Its text changes
// only when the set of typists does, so a screen reader hears a start or a stop, not keystrokes.

import { el } from "../lib/dom.js";
import { typingText } from "./typing_data.js";

/** ``deps``: {typists: Typists (typing_data.js), nameOf(userId): shown name}. */
export function mountTypingIndicator(root, { typists, nameOf }) {
  let shown = "";
  function update() {
    const text = typingText(typists.ids().map(nameOf));
    if (text === shown) return;
    shown = text;
    root.replaceChildren(text ? el("span", { class: "typing-text", text }) : "");
  }
  update();
  return {
    update,
    destroy() {
      root.replaceChildren();
    },
  };
}
