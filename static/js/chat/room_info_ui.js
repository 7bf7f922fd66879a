// The room info panel (right side; over the room on narrow screens): name, topic, kind and
// members, with the owner's tools (edit, add people, remove, make owner) and "Leave room".
// Extension points (extensions.js roomInfo): extra edit-form fields, another way to add people,
// buttons and badges by each member, extra facts, a hook after a removal, and the panel's notices
// (E2E: e2e/plugin.js).

import { getRoom, removeMember, setNotifyLevel, transferOwnership, updateRoom } from "./api.js";
import { notifyLevel } from "./notify.js";
import { initAddPeopleDialog, slotValues } from "./dialogs_ui.js";
import { mountPresenceDots, presenceDot, presenceText } from "./presence_ui.js";
import { KIND_LABELS } from "./rooms_data.js";
import { avatar, botTag } from "../lib/avatar.js";
import { byId, el, setMessage } from "../lib/dom.js";
import { confirmDialog } from "../lib/modal.js";

/** ``room``: CurrentRoom; ``rooms``: RoomsStore (the sidebar, updated on rename);
 * ``extensions``: the page's extension registry. */
export function initRoomInfo({ room, rooms, userId, extensions, presence = null }) {
  const hooks = extensions.roomInfo;
  const panel = byId("room-info");
  const toggle = byId("room-info-button");
  const backdrop = byId("room-info-backdrop");
  const error = byId("room-info-error");
  const view = byId("room-info-view");
  const editForm = byId("room-edit-form");
  const editName = byId("room-edit-name");
  const editTopic = byId("room-edit-topic");
  const editSlot = byId("room-edit-slot");
  const editMentionAll = byId("room-edit-mention-all");
  const notifySelect = byId("room-notify-level");
  const notifyStatus = byId("room-notify-status");
  const openAddPeople = initAddPeopleDialog({ addPeople: hooks.addPeople });
  // E2E: the "Encrypted" switch, and "New members can read earlier messages" under it.
  const editFields = hooks.editFields({ slot: editSlot, room });

  const setOpen = (open) => {
    panel.hidden = !open;
    backdrop.hidden = !open;
    document.body.classList.toggle("room-info-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      byId("room-info-close").focus();
      refresh();
    } else {
      showEdit(false);
      toggle.focus();
    }
  };

  const refresh = async () => {
    try {
      const data = await getRoom(room.id);
      room.set(data.room, { forViewer: true });
    } catch (err) {
      // A room we can no longer see: the socket's room.left tells the rest of the page.
      setMessage(error, err.message);
    }
  };

  const act = async (work) => {
    setMessage(error, "");
    try {
      await work();
    } catch (err) {
      setMessage(error, err.message);
    }
  };

  const memberItem = (member) => {
    const isOwner = member.id === room.room.owner_id;
    const isMe = member.id === userId;
    const item = el(
      "li",
      { class: "member" },
      el(
        "span",
        { class: "member-who" },
        el(
          "span",
          { class: "member-avatar-wrap" },
          avatar(member, { className: "member-avatar" }),
          presence ? presenceDot(member.id, presence) : "",
        ),
        el("span", { class: "member-name", text: member.name }),
        presence ? presenceText(member.id, presence) : "",
        el("span", { class: "member-username", text: `@${member.username}` }),
        botTag(member),
        ...hooks.memberBadges(member, room), // E2E: "Verified", "Not verified", "Key changed"
        isOwner ? el("span", { class: "tag", text: "Owner" }) : null,
        isMe ? el("span", { class: "tag tag-muted", text: "You" }) : null,
      ),
    );
    item.append(...hooks.memberActions(member, room)); // E2E: "Verify"
    if (room.canManage && !isMe) {
      item.append(
        el(
          "span",
          { class: "member-actions" },
          isOwner
            ? null
            : el("button", {
                type: "button",
                class: "button small",
                text: "Make owner",
                "aria-label": `Make owner: ${member.name}`, // starts with the visible text
                onclick: () =>
                  act(async () => {
                    const ok = await confirmDialog({
                      title: `Make ${member.name} the owner?`,
                      text: `${member.name} will be able to rename the room and add or remove people.`,
                      confirmLabel: "Make owner",
                      danger: false,
                    });
                    if (!ok) return;
                    const data = await transferOwnership(room.id, member.id);
                    room.set(data.room, { forViewer: true });
                  }),
              }),
          el("button", {
            type: "button",
            class: "button small danger-text",
            text: "Remove",
            "aria-label": `Remove ${member.name}`,
            onclick: () =>
              act(async () => {
                const ok = await confirmDialog({
                  title: `Remove ${member.name}?`,
                  text: `${member.name} will no longer see new messages in ${room.title}.`,
                  confirmLabel: "Remove",
                });
                if (!ok) return;
                const data = await removeMember(room.id, member.id);
                if (data.room) room.set(data.room, { forViewer: true });
                hooks.removedMember(room, member.id, (text) => setMessage(error, text)); // E2E: new key
              }),
          }),
        ),
      );
    }
    return item;
  };

  const render = () => {
    const r = room.room;
    byId("room-info-name").textContent = room.title;
    byId("room-info-topic").textContent = r.topic || "No topic";
    byId("room-info-kind").textContent = KIND_LABELS[r.kind] || r.kind;
    // E2E: "End-to-end encrypted". Each extension fact is a <div> of one <dt> and one <dd>, put
    // after the list's own facts (a <dl> may hold only such groups: no wrapper around them).
    const facts = byId("room-info-facts");
    for (const old of facts.querySelectorAll(":scope > [data-extension-fact]")) old.remove();
    for (const fact of hooks.facts(room)) {
      fact.dataset.extensionFact = "";
      facts.append(fact);
    }
    // A DM may be edited only to turn on encryption, by either member (it has no name or topic).
    const offered = editFields.some((field) => field.offered?.());
    byId("room-info-owner-actions").hidden = !room.canManage && !offered;
    byId("add-people-button").hidden = !room.canManage;
    byId("room-info-member-actions").hidden = !(room.isMember && r.kind !== "dm");
    byId("room-notify-field").hidden = !room.isMember;
    if (document.activeElement !== notifySelect) notifySelect.value = notifyLevel(r);
    byId("members-heading").textContent = `Members (${r.members.length})`;
    byId("member-list").replaceChildren(...r.members.map(memberItem));
  };

  const showEdit = (editing) => {
    editForm.hidden = !editing;
    view.hidden = editing;
    setMessage(error, "");
    if (editing) {
      const isDm = room.kind === "dm";
      byId("room-edit-name-field").hidden = isDm;
      editTopic.closest(".field").hidden = isDm;
      byId("room-edit-mention-all-field").hidden = isDm;
      editMentionAll.checked = room.room.allow_mention_all !== false;
      editName.value = room.room.name;
      editTopic.value = room.room.topic || "";
      for (const field of editFields) field.reset();
      // A DM's form holds only the extension fields (E2E: "Encrypted"): focus the first one.
      (isDm ? editSlot.querySelector("input") : editName)?.focus();
    }
  };

  notifySelect.addEventListener("change", () =>
    act(async () => {
      const level = notifySelect.value;
      notifyStatus.textContent = "Saving…";
      try {
        const data = await setNotifyLevel(room.id, level);
        room.set({ notify_level: data.notify_level });
        rooms.setNotifyLevel(room.id, data.notify_level);
        notifyStatus.textContent = "Saved.";
      } catch (err) {
        notifyStatus.textContent = "";
        notifySelect.value = notifyLevel(room.room);
        throw err;
      }
    }),
  );
  toggle.addEventListener("click", () => setOpen(panel.hidden));
  byId("room-info-close").addEventListener("click", () => setOpen(false));
  backdrop.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      setOpen(false);
    }
  });
  byId("room-edit-button").addEventListener("click", () => showEdit(true));
  byId("room-edit-cancel").addEventListener("click", () => {
    showEdit(false);
    byId("room-edit-button").focus();
  });
  editForm.addEventListener("submit", (event) => {
    event.preventDefault();
    act(async () => {
      // In order (E2E: the room is converted before its history policy is set).
      for (const field of editFields) await field.save();
      if (room.kind !== "dm") {
        const data = await updateRoom(room.id, {
          name: editName.value,
          topic: editTopic.value,
          allow_mention_all: editMentionAll.checked,
          ...slotValues(editSlot),
        });
        room.set(data.room, { forViewer: true });
        rooms.update(data.room);
      }
      showEdit(false);
      byId("room-edit-button").focus();
    });
  });
  byId("add-people-button").addEventListener("click", () => openAddPeople(room));
  byId("leave-button").addEventListener("click", () =>
    act(async () => {
      const ok = await confirmDialog({
        title: `Leave ${room.title}?`,
        text:
          room.kind === "channel"
            ? "You can join this public channel again later."
            : "To come back, someone in the room has to add you again.",
        confirmLabel: "Leave",
      });
      if (!ok) return;
      await removeMember(room.id, userId);
      window.location.assign("/");
    }),
  );

  room.subscribe(render);
  if (presence) mountPresenceDots(byId("member-list"), { presence });
  render();
  hooks.mounted(room); // E2E: "<name>'s encryption key changed" notices, the verify dialog
}
