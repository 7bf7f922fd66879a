// The composer's "@" autocomplete: typing "@" (then some letters) lists the room's members, and
// @here / @all where the room allows them. Up/Down choose, Enter or Tab picks, Escape closes;
// the list is announced in a status line (like the people picker, people_picker_ui.js). A pick
// writes "@username " and records the person's id: the content's mentions (content.js) are the
// picks whose name is still in the text when it is sent.

import { buildContent } from "./content.js";
import { el } from "../lib/dom.js";

const MAX_OPTIONS = 8;
const SPECIALS = [
  { special: "here", username: "here", name: "Notify everyone in this room" },
  { special: "all", username: "all", name: "Notify everyone in this room" },
];

/** The "@word" being typed just before the caret, or null. */
function typedMention(input) {
  const before = input.value.slice(0, input.selectionStart ?? input.value.length);
  const found = /(?:^|[^\w@])@([\w.+-]*)$/.exec(before);
  if (!found) return null;
  return { query: found[1], start: before.length - found[1].length - 1, end: before.length };
}

/** Attach the autocomplete to ``input`` (the composer's textarea, or an edit's: give each its
 * own ``idPrefix``); ``room``: CurrentRoom. Return {handleKey(event) (true when it used the
 * key), content(text), picks() → {picked, specials}, reset(), destroy()}. */
export function mountMentionAutocomplete(input, { room, userId, idPrefix = "mention" }) {
  const listId = `${idPrefix}-options`;
  const listbox = el("ul", {
    id: listId,
    role: "listbox",
    class: "picker-options mention-options",
    "aria-label": "People to mention",
    hidden: true,
  });
  const status = el("p", { class: "visually-hidden", role: "status", id: `${idPrefix}-status` });
  (input.closest(".composer-box, .msg-editor-box") || input.parentElement)?.append(listbox);
  input.after(status);
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", listId);

  const picked = new Map(); // user id -> username
  const specials = new Set(); // "here" / "all"
  let options = [];
  let active = -1;
  let typed = null;

  const close = () => {
    if (listbox.hidden) return;
    listbox.hidden = true;
    input.removeAttribute("aria-activedescendant");
    options = [];
    active = -1;
  };

  const setActive = (index) => {
    active = index;
    for (const [i, option] of [...listbox.children].entries())
      option.setAttribute("aria-selected", String(i === index));
    const option = listbox.children[index];
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView?.({ block: "nearest" });
    }
  };

  const candidates = (query) => {
    const q = query.toLowerCase();
    const people = (room.room.members || [])
      .filter((m) => Number(m.id) !== Number(userId))
      .filter((m) => [m.username, ...m.name.split(/\s+/)].some((word) => word.toLowerCase().startsWith(q)))
      .sort((a, b) => a.username.localeCompare(b.username));
    const extra = room.room.allow_mention_all ? SPECIALS.filter((s) => s.username.startsWith(q)) : [];
    return [...people, ...extra].slice(0, MAX_OPTIONS);
  };

  const pick = (option) => {
    if (!typed) return;
    const insert = `@${option.username} `;
    const value = input.value;
    input.value = value.slice(0, typed.start) + insert + value.slice(typed.end);
    const caret = typed.start + insert.length;
    input.setSelectionRange(caret, caret);
    if (option.special) specials.add(option.special);
    else picked.set(Number(option.id), option.username);
    status.textContent = option.special ? `@${option.special} added.` : `${option.name} mentioned.`;
    close();
    input.dispatchEvent(new Event("input", { bubbles: true })); // the counter, the height
  };

  const render = () => {
    listbox.replaceChildren(
      ...options.map((option, i) =>
        el(
          "li",
          {
            id: `${idPrefix}-option-${option.special || option.id}`,
            role: "option",
            class: "picker-option",
            "aria-selected": "false",
            onmousedown: (event) => event.preventDefault(), // keep focus in the composer
            onclick: () => pick(option),
            dataset: { index: String(i) },
          },
          el("span", { class: "picker-username", text: `@${option.username}` }),
          el("span", { class: "picker-name", text: option.name }),
        ),
      ),
    );
    listbox.hidden = false;
    setActive(0);
    const n = options.length;
    status.textContent = `${n} ${n === 1 ? "suggestion" : "suggestions"}: ${options[0].special ? `@${options[0].username}` : options[0].name}. Up and down to choose, Enter to pick.`;
  };

  const update = () => {
    typed = typedMention(input);
    if (!typed) return close();
    options = candidates(typed.query);
    if (!options.length) {
      close();
      status.textContent = "";
      return;
    }
    render();
  };

  input.addEventListener("input", update);
  input.addEventListener("click", update);
  const onBlur = () => setTimeout(close, 100);
  input.addEventListener("blur", onBlur);

  return {
    /** Use ``event`` (keydown in the composer) if the list is open; return whether it did. */
    handleKey(event) {
      if (listbox.hidden || !options.length || event.isComposing) return false;
      if (event.key === "ArrowDown") setActive((active + 1) % options.length);
      else if (event.key === "ArrowUp") setActive((active - 1 + options.length) % options.length);
      else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) pick(options[active]);
      else if (event.key === "Escape") {
        close();
        status.textContent = "Suggestions closed.";
      } else return false;
      event.preventDefault();
      event.stopPropagation();
      return true;
    },
    /** The content object of ``text`` with the mentions picked for it. */
    content: (text) => buildContent(text, { picked, specials }),
    /** The people (id -> username) and @here/@all picked so far. */
    picks: () => ({ picked: new Map(picked), specials: new Set(specials) }),
    reset() {
      picked.clear();
      specials.clear();
      close();
    },
    destroy() {
      input.removeEventListener("input", update);
      input.removeEventListener("click", update);
      input.removeEventListener("blur", onBlur);
      listbox.remove();
      status.remove();
    },
  };
}
