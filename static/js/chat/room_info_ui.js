// The room info panel (right side; over the room on narrow screens): name, topic, kind and
// members, with the owner's tools (edit, add people, remove, make owner) and "Leave room".

import { initKeyChanges, openVerify } from "../e2e/key_change_ui.js";
import { addPeopleEncrypted, initHistoryPolicy, removedMember } from "../e2e/members_ui.js";
import { initRoomEncryption } from "../e2e/rooms_forms_ui.js";
import { getRoom, removeMember, transferOwnership, updateRoom } from "./api.js";
import { byId, el, setMessage } from "./dom.js";
import { initAddPeopleDialog, slotValues } from "./dialogs_ui.js";
import { confirmDialog } from "./modal.js";
import { KIND_LABELS } from "./rooms_data.js";

/** ``room``: CurrentRoom; ``rooms``: RoomsStore (the sidebar, updated on rename). */
export function initRoomInfo({ room, rooms, userId }) {
  const panel = byId("room-info");
  const toggle = byId("room-info-button");
  const backdrop = byId("room-info-backdrop");
  const error = byId("room-info-error");
  const view = byId("room-info-view");
  const editForm = byId("room-edit-form");
  const editName = byId("room-edit-name");
  const editTopic = byId("room-edit-topic");
  const openAddPeople = initAddPeopleDialog({ addEncrypted: addPeopleEncrypted });
  // The "Encrypted" switch at the bottom of the edit form (e2e/rooms_forms_ui.js).
  const encryption = initRoomEncryption({ slot: byId("room-edit-slot"), room });
  // Under it, for encrypted rooms: "New members can read earlier messages" (e2e/members_ui.js).
  const historyPolicy = initHistoryPolicy({ slot: byId("room-edit-slot"), room });

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
        el("span", { class: "member-name", text: member.name }),
        el("span", { class: "member-username", text: `@${member.username}` }),
        isOwner ? el("span", { class: "tag", text: "Owner" }) : null,
        isMe ? el("span", { class: "tag tag-muted", text: "You" }) : null,
      ),
    );
    if (room.room.encrypted && !isMe) {
      // Compare safety numbers (and mark them verified) in the verify dialog.
      item.append(
        el("button", {
          type: "button",
          class: "button small member-verify",
          text: "Verify",
          "aria-label": `Compare safety numbers with ${member.name}`,
          onclick: () => openVerify(member.id),
        }),
      );
    }
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
                "aria-label": `Make ${member.name} owner`,
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
                removedMember(room, member.id, (text) => setMessage(error, text)); // new room key
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
    // A DM's owner may edit it only to turn on encryption (a DM has no name or topic).
    byId("room-info-owner-actions").hidden = !room.canManage && !encryption.offered();
    byId("add-people-button").hidden = !room.canManage;
    byId("room-info-member-actions").hidden = !(room.isMember && r.kind !== "dm");
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
      editName.value = room.room.name;
      editTopic.value = room.room.topic || "";
      encryption.reset();
      historyPolicy.reset();
      (isDm ? byId("room-edit-encrypted") : editName)?.focus();
    }
  };

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
      await encryption.save(); // converts the room if its switch was turned on
      await historyPolicy.save();
      if (room.kind !== "dm") {
        const data = await updateRoom(room.id, {
          name: editName.value,
          topic: editTopic.value,
          ...slotValues(byId("room-edit-slot")),
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
  render();
  initKeyChanges(room); // "<name>'s encryption key changed" notices, the verify dialog
}
