// Modal dialogs (native <dialog> + showModal: focus stays inside, Escape closes): create a
// channel, start a direct message, add people, and a confirm() replacement. Extension points
// (extensions.js createDialog): the create and DM dialogs' extra fields (E2E: "Encrypted").

import { addMembers, createRoom, openDm } from "./api.js";
import { createPeoplePicker } from "./people_picker_ui.js";
import { byId, setMessage } from "../lib/dom.js";
import { openModal } from "../lib/modal.js";

function wireDialog(dialog) {
  for (const button of dialog.querySelectorAll("[data-close-dialog]")) {
    button.addEventListener("click", () => dialog.close("cancel"));
  }
  // A click on the backdrop (outside the dialog box) closes it.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close("cancel");
  });
}

/** The browser puts focus back on the opener; if that sat in the (now closed) narrow-screen
 * drawer, put it on the "Menu" button instead of losing it. */
function returnFocusToMenu(dialog) {
  dialog.addEventListener("close", () => {
    setTimeout(() => {
      const menu = document.getElementById("menu-button");
      if (document.activeElement === document.body && menu?.checkVisibility()) menu.focus();
    });
  });
}

/** Return the named inputs of a form slot as {name: value} (checkboxes as booleans). Later
 * features put fields in the slots (e.g. "Encrypted") and they go along with the request. */
export function slotValues(slot) {
  const values = {};
  for (const field of slot?.querySelectorAll("input[name], select[name], textarea[name]") || []) {
    values[field.name] = field.type === "checkbox" ? field.checked : field.value;
  }
  return values;
}

function setBusy(form, busy) {
  form.classList.toggle("busy", busy);
  for (const button of form.querySelectorAll("button[type='submit']")) button.disabled = busy;
}

function initCreateChannel(extensions) {
  const dialog = byId("create-channel-dialog");
  const form = byId("create-channel-form");
  const name = byId("create-channel-name");
  const nameError = byId("create-channel-name-error");
  const topic = byId("create-channel-topic");
  const isPrivate = byId("create-channel-private");
  const error = byId("create-channel-error");
  const picker = createPeoplePicker(byId("create-channel-people"), {
    label: "Invite people",
    hint: "Search by name or username.",
  });
  wireDialog(dialog);
  returnFocusToMenu(dialog);
  const encryption = extensions.createDialog.channel({ slot: byId("create-channel-slot"), isPrivate });

  // The title and the hint follow the switch: "Create a private group" / "Create a channel".
  const showKind = () => {
    for (const node of form.querySelectorAll("[data-when-private]")) node.hidden = !isPrivate.checked;
    for (const node of form.querySelectorAll("[data-when-public]")) node.hidden = isPrivate.checked;
  };
  const setNameError = (message) => {
    setMessage(nameError, message);
    name.setAttribute("aria-invalid", message ? "true" : "false");
  };
  isPrivate.addEventListener("change", showKind);
  name.addEventListener("input", () => setNameError(""));
  dialog.addEventListener("close", () => {
    form.reset();
    picker.clear();
    setNameError("");
    setMessage(error, "");
    showKind();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setMessage(error, "");
    if (!name.value.trim()) {
      setNameError("Give the room a name.");
      name.focus();
      return;
    }
    setBusy(form, true);
    try {
      const fields = {
        name: name.value,
        topic: topic.value,
        private: isPrivate.checked,
        invite: picker.selected().map((person) => person.id),
        ...slotValues(byId("create-channel-slot")),
      };
      const data = encryption.wanted() ? await encryption.create(fields) : await createRoom(fields);
      window.location.assign(data.url);
    } catch (err) {
      if (err.code?.startsWith("name")) {
        setNameError(err.message);
        name.focus();
      } else {
        setMessage(error, err.message);
      }
      setBusy(form, false);
    }
  });

  const open = () => openModal(dialog, name);
  return open;
}

function initNewDm(extensions) {
  const dialog = byId("new-dm-dialog");
  const error = byId("new-dm-error");
  let picker = null;
  const encryption = extensions.createDialog.dm(dialog);
  picker = createPeoplePicker(byId("new-dm-people"), {
    label: "Person",
    hint: "Search by name or username, then pick someone.",
    multiple: false,
    onPick: async (person) => {
      setMessage(error, "");
      try {
        const data = encryption.wanted() ? await encryption.open(person.id) : await openDm(person.id);
        window.location.assign(data.url);
      } catch (err) {
        setMessage(error, err.message);
        picker.focus();
      }
    },
  });
  wireDialog(dialog);
  returnFocusToMenu(dialog);
  dialog.addEventListener("close", () => {
    picker.clear();
    setMessage(error, "");
  });
  byId("new-dm-form").addEventListener("submit", (event) => event.preventDefault());
  return () => openModal(dialog, picker.input);
}

/** The "Add people" dialog for the open room. Return open(room) where ``room`` is a
 * CurrentRoom; the room is updated with the server's answer. ``addPeople``: the extension
 * point roomInfo.addPeople (null: the plain endpoint). */
export function initAddPeopleDialog({ addPeople = null } = {}) {
  const dialog = byId("add-people-dialog");
  const form = byId("add-people-form");
  const error = byId("add-people-error");
  let current = null;
  const picker = createPeoplePicker(byId("add-people-people"), {
    label: "People to add",
    hint: "Search by name or username.",
    exclude: () => new Set((current?.room.members || []).map((m) => m.id)),
  });
  wireDialog(dialog);
  dialog.addEventListener("close", () => {
    picker.clear();
    setMessage(error, "");
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const people = picker.selected();
    if (!people.length) {
      setMessage(error, "Pick at least one person to add.");
      picker.focus();
      return;
    }
    setBusy(form, true);
    try {
      const ids = people.map((p) => p.id);
      // E2E, encrypted rooms: attestations and keys go with the request (e2e/members_ui.js).
      const data = (await addPeople?.(current, ids, error)) || (await addMembers(current.id, ids));
      current.set(data.room, { forViewer: true });
      dialog.close("ok");
    } catch (err) {
      setMessage(error, err.message);
    } finally {
      setBusy(form, false);
    }
  });
  return (room) => {
    current = room;
    openModal(dialog, picker.input);
  };
}

/** Wire the dialogs of the app shell to their buttons. */
export function initDialogs(extensions) {
  const confirm = byId("confirm-dialog");
  if (!confirm) return;
  wireDialog(confirm);
  const openCreate = initCreateChannel(extensions);
  const openNewDm = initNewDm(extensions);
  for (const button of document.querySelectorAll("#create-channel-button, [data-open-create-channel]")) {
    button.addEventListener("click", openCreate);
  }
  for (const button of document.querySelectorAll("#new-dm-button, [data-open-new-dm]")) {
    button.addEventListener("click", openNewDm);
  }
}
