// A people picker: a combobox that searches /api/people/ as you type. In ``multiple`` mode the
// chosen people show as removable chips; otherwise picking calls ``onPick`` at once.

import { findPeople } from "./api.js";
import { botTag } from "../lib/avatar.js";
import { el, icon } from "../lib/dom.js";

let pickers = 0;

/** Build a picker inside ``container``. Return {selected(), clear(), focus()}. */
export function createPeoplePicker(
  container,
  { label, hint = "", multiple = true, onPick = () => {}, exclude = () => new Set() },
) {
  const n = ++pickers;
  const inputId = `people-${n}-input`;
  const listId = `people-${n}-list`;
  const chosen = new Map();
  let options = [];
  let active = -1;
  let timer = null;
  let controller = null;

  const input = el("input", {
    id: inputId,
    type: "search",
    role: "combobox",
    autocomplete: "off",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    "aria-describedby": hint ? `people-${n}-hint` : null,
    placeholder: "Type a name",
  });
  const listbox = el("ul", { id: listId, role: "listbox", class: "picker-options", hidden: true, "aria-label": label });
  const chips = el("ul", { class: "chips", "aria-label": "Chosen people", hidden: true });
  const status = el("p", { class: "picker-status visually-hidden", role: "status" });
  container.replaceChildren(
    el("label", { for: inputId, text: label }),
    hint ? el("p", { id: `people-${n}-hint`, class: "helptext", text: hint }) : null,
    chips,
    el("div", { class: "combo" }, icon("search", { className: "combo-icon" }), input, listbox),
    status,
  );

  const close = () => {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const setActive = (index) => {
    active = index;
    for (const [i, option] of [...listbox.children].entries()) {
      option.setAttribute("aria-selected", String(i === index));
    }
    const option = listbox.children[index];
    if (option && option.id) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  };

  const renderChips = () => {
    chips.replaceChildren(
      ...[...chosen.values()].map((person) =>
        el(
          "li",
          { class: "chip" },
          el("span", { text: person.name }),
          el(
            "button",
            {
              type: "button",
              class: "chip-remove",
              "aria-label": `Remove ${person.name}`,
              title: `Remove ${person.name}`,
              onclick: () => {
                chosen.delete(person.id);
                renderChips();
                input.focus();
              },
            },
            icon("close"),
          ),
        ),
      ),
    );
    chips.hidden = chosen.size === 0;
  };

  const pick = (person) => {
    if (multiple) {
      chosen.set(person.id, person);
      renderChips();
      input.value = "";
      status.textContent = `${person.name} added.`;
      close();
      input.focus();
    } else {
      close();
      onPick(person);
    }
  };

  const renderOptions = (people) => {
    const skip = exclude();
    options = people.filter((p) => !chosen.has(p.id) && !skip.has(p.id));
    listbox.replaceChildren(
      ...(options.length
        ? options.map((person, i) =>
            el(
              "li",
              {
                id: `people-${n}-option-${person.id}`,
                role: "option",
                class: "picker-option",
                "aria-selected": "false",
                onmousedown: (event) => event.preventDefault(),
                onclick: () => pick(person),
                dataset: { index: String(i) },
              },
              el("span", { class: "picker-name", text: person.name }),
              el("span", { class: "picker-username", text: `@${person.username}` }),
              botTag(person),
            ),
          )
        : [el("li", { class: "picker-empty", role: "presentation", text: "Nobody found." })]),
    );
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
    status.textContent = options.length
      ? `${options.length} ${options.length === 1 ? "person" : "people"} found.`
      : "Nobody found.";
    if (options.length) setActive(0);
  };

  const search = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      controller?.abort();
      controller = new AbortController();
      try {
        const data = await findPeople(input.value.trim(), { signal: controller.signal });
        if (document.activeElement === input) renderOptions(data.people);
      } catch (error) {
        if (error.name === "AbortError") return;
        listbox.replaceChildren(el("li", { class: "picker-empty", role: "presentation", text: error.message }));
        listbox.hidden = false;
      }
    }, 120);
  };

  input.addEventListener("input", search);
  input.addEventListener("focus", search);
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.addEventListener("keydown", (event) => {
    const open = !listbox.hidden && options.length > 0;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open) search();
      else setActive((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      setActive((active - 1 + options.length) % options.length);
    } else if (event.key === "Enter") {
      // Enter picks; it never submits the surrounding form from here.
      event.preventDefault();
      if (open && active >= 0) pick(options[active]);
    } else if (event.key === "Escape" && !listbox.hidden) {
      event.preventDefault(); // close the list, not the dialog
      event.stopPropagation();
      close();
    } else if (event.key === "Backspace" && !input.value && multiple && chosen.size) {
      const last = [...chosen.keys()].pop();
      chosen.delete(last);
      renderChips();
    }
  });

  return {
    selected: () => [...chosen.values()],
    clear: () => {
      chosen.clear();
      renderChips();
      input.value = "";
      close();
    },
    focus: () => input.focus(),
    input,
  };
}
