// The "Replying to …" bar above the composer (DOM only): which message the next send answers,
// with a button (and Escape in the composer) to drop it. The room view owns the state: it
// calls start(message, quote) and takes the reference with take() when it sends.

import { replyReference } from "./content.js";
import { el, icon } from "../lib/dom.js";

const TEXT_ID = "composer-reply-text";

/** Mount the bar in ``root`` (#composer-reply); ``input`` is the composer's textarea (focus
 * goes back to it). Return {start(message, {sender, text}), take(), clear(), active()}. */
export function mountReplyBar(root, { input }) {
  let reference = null;
  // While a reply is on, the composer's description starts with it (screen readers read
  // "Replying to Ann: …" on focus).
  const describedBy = (on) => {
    const ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter((id) => id && id !== TEXT_ID);
    input.setAttribute("aria-describedby", (on ? [TEXT_ID, ...ids] : ids).join(" "));
  };
  const clear = () => {
    reference = null;
    root.replaceChildren();
    root.hidden = true;
    describedBy(false);
  };
  const bar = {
    /** Answer ``message`` with the next send; ``quote``: its sender's name and an excerpt. */
    start(message, { sender, text }) {
      reference = replyReference(message);
      root.replaceChildren(
        icon("reply"),
        el(
          "p",
          { class: "composer-reply-text", id: TEXT_ID },
          el("span", { class: "composer-reply-label", text: `Replying to ${sender}` }),
          el("span", { class: "composer-reply-excerpt", text }),
        ),
        el(
          "button",
          {
            type: "button",
            class: "icon-button",
            "aria-label": `Cancel the reply to ${sender}`,
            title: "Cancel reply (Escape)",
            onclick: () => {
              clear();
              input.focus();
            },
          },
          icon("close"),
        ),
      );
      root.hidden = false;
      describedBy(true);
      input.focus();
    },
    /** Return the reference for the message being sent, and drop it from the bar. */
    take() {
      const taken = reference;
      clear();
      return taken;
    },
    clear,
    active: () => reference !== null,
  };
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !reference || event.defaultPrevented) return;
    event.preventDefault();
    clear();
  });
  return bar;
}
