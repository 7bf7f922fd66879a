// The "Encrypted" switches (DOM): in the create dialog, in the room edit form (owner, or an
// admin member), and the encrypted-DM default of the "New direct message" dialog. The slow
// steps (sealing keys) show progress; locked keys open the unlock dialog first (boot.js). Each
// takes the page's RoomsEngine (plugin.js passes it).

import { confirmDialog } from "../lib/modal.js";
import { el, icon, setMessage } from "../lib/dom.js";
import * as boot from "./boot.js";
import { E2EError, requireKeys } from "./rooms_state.js";
import { headerEncrypted } from "./rooms_ui.js";
import { sessionEvents } from "./session.js";

const { currentSession, whenUnlocked } = boot;

function settings() {
  return currentSession()?.settings || { enabled: false };
}

function onSettings(listener) {
  sessionEvents.addEventListener("change", listener);
  listener();
}

// Slow steps: progress text, and the "unlock first" path -----------------------------------

function progressReporter(node, verb) {
  return (done, total) => {
    if (total > 1) setMessage(node, `${verb}… ${done} of ${total}`);
  };
}

/** Run ``work`` with the keys unlocked. If they are locked, say so and open the unlock
 * dialog (boot.js), then go on once unlocked; throw if the user gives up (closes the unlock
 * dialog, or ``owner``, the dialog the step was started from). */
async function withKeys(status, work, { owner = null } = {}) {
  try {
    requireKeys();
  } catch (error) {
    const unlockDialog = document.getElementById("e2e-unlock-dialog");
    const dialogs = boot.e2eDialogs?.();
    if (!(error instanceof E2EError) || error.code !== "e2e_locked" || !dialogs || !unlockDialog) {
      throw error;
    }
    setMessage(status, "Your encryption keys are locked on this device: enter your encryption password to go on.");
    dialogs.unlock();
    const unlocked = await new Promise((resolve) => {
      whenUnlocked().then(() => resolve(true));
      unlockDialog.addEventListener("close", () => setTimeout(() => resolve(Boolean(currentSession()?.keys))), {
        once: true,
      });
      owner?.addEventListener("close", () => resolve(false), { once: true });
    });
    if (!unlocked || !currentSession()?.keys) throw error;
    setMessage(status, "Encrypting…");
  }
  return work();
}

// Create dialog: the "Encrypted" switch -------------------------------------------------------

/** Draw the "Encrypted" switch into the create dialog's slot. Return {wanted(), create(fields)}
 * for dialogs_ui.js: ``create`` makes the encrypted group and returns {url}. */
export function initCreateEncryption(engine, { slot, isPrivate }) {
  const input = el("input", {
    id: "create-channel-encrypted",
    type: "checkbox",
    role: "switch",
    class: "switch",
    "aria-describedby": "create-channel-encrypted-hint",
  });
  const hint = el("p", { id: "create-channel-encrypted-hint", class: "helptext" });
  const status = el("p", { class: "e2e-progress", role: "status", hidden: true });
  const field = el(
    "div",
    { class: "field switch-field", id: "create-channel-encrypted-field", hidden: true },
    input,
    el("label", { for: "create-channel-encrypted" }, icon("key"), "Encrypted"),
    hint,
    status,
  );
  slot.append(field);

  const update = () => {
    const s = settings();
    field.hidden = !s.enabled;
    input.disabled = !isPrivate.checked;
    if (!isPrivate.checked) {
      input.checked = false;
      hint.textContent = "Public channels cannot be encrypted: anyone can join and read them.";
    } else {
      hint.textContent =
        "End-to-end encrypted: only the members' devices can read the messages, not the server. Server search will not find them.";
    }
  };
  const applyDefault = () => {
    const s = settings();
    input.defaultChecked = Boolean(s.enabled && s.encrypt_groups_by_default);
    input.checked = input.defaultChecked && isPrivate.checked;
    update();
  };
  isPrivate.addEventListener("change", () => {
    if (isPrivate.checked) input.checked = input.defaultChecked;
    update();
  });
  // form.reset() on close puts the switches back to their defaults.
  isPrivate.form?.addEventListener("reset", () => setTimeout(applyDefault));
  let shownDefault = null;
  onSettings(() => {
    // Only a change of the administrator's settings resets the user's choice.
    const s = settings();
    const current = `${s.enabled}:${s.encrypt_groups_by_default}`;
    if (current === shownDefault) return;
    shownDefault = current;
    applyDefault();
  });

  return {
    wanted: () => !field.hidden && isPrivate.checked && input.checked,
    async create({ name, topic, invite }) {
      setMessage(status, "Encrypting…");
      try {
        return await withKeys(
          status,
          () =>
            engine.sharing.startGroup({
              name,
              topic,
              invite,
              onProgress: progressReporter(status, "Sealing the room key"),
            }),
          { owner: slot.closest("dialog") },
        );
      } finally {
        setMessage(status, "");
      }
    },
  };
}

/** The "New direct message" dialog: new DMs are encrypted when the administrator's default
 * says so. Return {wanted(), open(userId)} for dialogs_ui.js (open returns {url}). */
export function initDmEncryption(engine, dialog) {
  const note = el(
    "p",
    { class: "e2e-note-line", hidden: true },
    icon("key"),
    "New direct messages are end-to-end encrypted.",
  );
  const status = el("p", { class: "e2e-progress", role: "status", hidden: true });
  dialog.querySelector(".dialog-body")?.append(note, status);
  const wanted = () => {
    const s = settings();
    return Boolean(s.enabled && s.encrypt_dms_by_default);
  };
  onSettings(() => {
    note.hidden = !wanted();
  });
  return {
    wanted,
    async open(userId) {
      setMessage(status, "Encrypting…");
      try {
        return await withKeys(status, () => engine.sharing.startDm(userId), { owner: dialog });
      } finally {
        setMessage(status, "");
      }
    },
  };
}

// Room edit form: the "Encrypted" switch (owner, or an admin member) --------------------------

/** Draw the "Encrypted" switch into the room edit form. Return {save()} for room_info_ui.js:
 * save() converts the room when the switch was turned on (after a confirmation). */
export function initRoomEncryption(engine, { slot, room }) {
  const input = el("input", {
    id: "room-edit-encrypted",
    type: "checkbox",
    role: "switch",
    class: "switch",
    "aria-describedby": "room-edit-encrypted-hint",
  });
  const hint = el("p", { id: "room-edit-encrypted-hint", class: "helptext" });
  const status = el("p", { class: "e2e-progress", role: "status", hidden: true });
  const field = el(
    "div",
    { class: "field switch-field", id: "room-edit-encrypted-field", hidden: true },
    input,
    el("label", { for: "room-edit-encrypted" }, icon("key"), "Encrypted"),
    hint,
    status,
  );
  slot.append(field);

  const render = () => {
    const r = room.room;
    const on = headerEncrypted(engine, room);
    // In a DM both people are equals: either may turn encryption on (as the server allows).
    const mayManage = room.isMember && (r.kind === "dm" || room.isOwner || room.isAdmin);
    field.hidden = r.kind === "channel" || !mayManage || (!on && !settings().enabled);
    input.checked = on;
    input.disabled = on;
    hint.textContent = on
      ? "Encryption cannot be turned off."
      : "Only members' devices will read new messages; earlier messages stay unencrypted. Once on, encryption cannot be turned off.";
  };
  room.subscribe(render);
  onSettings(render);

  return {
    /** Reset the switch when the form opens. */
    reset: render,
    /** Whether the room info panel should offer "Edit" for this room only for encryption
     * (either member of a DM: DMs have no name or topic to edit). */
    offered: () => room.kind === "dm" && room.isMember && !headerEncrypted(engine, room) && settings().enabled,
    async save() {
      if (!input.checked || headerEncrypted(engine, room)) return;
      const ok = await confirmDialog({
        title: "Turn on end-to-end encryption?",
        text: "New messages can then be read only on members' devices, never by the server, and server search will not find them. Earlier messages stay unencrypted. This cannot be undone.",
        confirmLabel: "Turn on encryption",
        danger: false,
      });
      if (!ok) {
        input.checked = false;
        throw new Error("Encryption was not turned on.");
      }
      setMessage(status, "Encrypting…");
      try {
        await withKeys(status, () =>
          engine.sharing.convert(room.id, { onProgress: progressReporter(status, "Sealing the room key") }),
        );
        room.set({ encrypted: true });
      } finally {
        setMessage(status, "");
      }
    },
  };
}
