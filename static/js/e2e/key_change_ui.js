// Key changes (DOM; docs/SECURITY.md attack 1): a notice in the open room when a member's encryption key
// changed ("<name>'s encryption key changed", louder if you had verified them; one's own keys
// replaced on another device get "Your encryption keys were replaced..." instead), and the verify
// dialog (templates/e2e/verify_dialog.html) comparing safety numbers, with "Mark as verified"
// and "Trust new key and share room keys". No room key is sealed to a changed identity until a
// person here clicks that (or "Mark as verified"): no server setting can do it for them
// (docs/SECURITY.md, attack 13). The click also vouches for the new identity in each room's
// signed chain, so the other members' devices accept it from a member, not from the server.
// initKeyChanges(engine, room) returns the open room's notices and dialog: its state (the room,
// the user the dialog is about) lives there, and destroy() removes the listeners it added.

import { removeBanner, showBanner } from "../lib/banners_ui.js";
import { setMessage } from "../lib/dom.js";
import { e2eDialogs } from "./boot.js";
import { acceptChangedIdentity, pinEvents, safetyNumberOf, setVerified } from "./pins.js";
import { currentSession } from "./rooms_state.js";
import { refreshTrustMarks } from "./trust_marks.js";

const bannerId = (userId) => `e2e-keychanged-${Number(userId)}`;

/** Clear everything the verify dialog showed for the member before (nothing of theirs may
 * stay on screen while the next one loads), titled for ``name``. */
function resetDialog(name) {
  const byId = (id) => document.getElementById(id);
  byId("e2e-verify-title").textContent = `Compare safety numbers with ${name}`;
  setMessage(byId("e2e-verify-error"), "");
  setMessage(byId("e2e-verify-status"), "");
  const texts = [
    "theirs-label",
    "theirs",
    "previous-label",
    "previous",
    "mine",
    "warning",
    "advice",
    "verified-text",
    "nokeys",
  ];
  for (const id of texts) byId(`e2e-verify-${id}`).textContent = "";
  for (const id of ["warning", "advice", "verified", "previous-block", "trust", "nokeys"])
    byId(`e2e-verify-${id}`).hidden = true;
  byId("e2e-verify-numbers").hidden = false;
  const mark = byId("e2e-verify-mark");
  mark.textContent = "Mark as verified";
  mark.hidden = false;
  mark.disabled = true; // until this member's numbers are shown
  byId("e2e-verify-dialog").dataset.state = "loading";
}

/** Fill the verify dialog for ``userId`` (``member``: their row in the open room, or null),
 * unless ``stillWanted()`` turns false meanwhile (the dialog moved on to another member). */
async function fillDialog(engine, userId, member, stillWanted) {
  member = member || { name: "This person" };
  const dialog = document.getElementById("e2e-verify-dialog");
  const byId = (id) => document.getElementById(id);
  engine.forgetIdentity(userId);
  const item = (await engine.identities([userId]))[userId];
  if (!stillWanted()) return;
  if (!item) {
    // Nothing to compare and nothing to mark: say so instead of an empty form.
    byId("e2e-verify-numbers").hidden = true;
    byId("e2e-verify-mark").hidden = true;
    const nokeys = byId("e2e-verify-nokeys");
    nokeys.textContent = `${member.name} has not set up encryption yet. There is no safety number to compare until they do.`;
    nokeys.hidden = false;
    dialog.dataset.state = "nokeys";
    return;
  }
  const changed = item.status === "changed";
  const theirs = changed ? item.current : item.identity;
  const session = currentSession();
  const mine = session?.keys?.publicIdentity || session?.identity;
  const numbers = {
    theirs: await safetyNumberOf(theirs, userId),
    previous: changed ? await safetyNumberOf(item.identity, userId) : "",
    mine: mine ? await safetyNumberOf(mine, engine.userId) : "—",
  };
  if (!stillWanted()) return;
  byId("e2e-verify-theirs-label").textContent = changed
    ? `${member.name}'s new safety number`
    : `${member.name}'s safety number`;
  byId("e2e-verify-theirs").textContent = numbers.theirs;
  byId("e2e-verify-previous-block").hidden = !changed;
  if (changed) {
    byId("e2e-verify-previous-label").textContent = `${member.name}'s previous safety number (for reference)`;
    byId("e2e-verify-previous").textContent = numbers.previous;
  }
  byId("e2e-verify-mine").textContent = numbers.mine;
  const warning = byId("e2e-verify-warning");
  warning.hidden = !(changed && item.pin?.verified);
  warning.textContent = warning.hidden
    ? ""
    : `You verified ${member.name} before; their key has changed. Compare safety numbers before trusting it.`;
  const verified = !changed && Boolean(item.pin?.verified);
  byId("e2e-verify-verified").hidden = !verified;
  byId("e2e-verify-verified-text").textContent = verified
    ? `Verified: you marked ${member.name} as verified on this device.`
    : "";
  byId("e2e-verify-trust").hidden = !changed;
  // A changed key has one safe path: compare, then trust. Say so, and name the primary button
  // after it; without comparing, closing the dialog shares nothing with the new key.
  const advice = byId("e2e-verify-advice");
  advice.hidden = !changed;
  advice.textContent = changed
    ? `Compare ${member.name}'s new safety number with them on a call or in person. If it matches, choose "The numbers match". If it does not, close this: nothing is shared with the new key.`
    : "";
  const mark = byId("e2e-verify-mark");
  mark.textContent = changed ? "The numbers match: trust and verify" : verified ? "Verified" : "Mark as verified";
  mark.disabled = verified;
  dialog.dataset.changed = String(changed);
  dialog.dataset.state = changed ? "changed" : verified ? "verified" : "unverified";
}

/** Start the key-change notices and the verify dialog for the open room (``room``: CurrentRoom;
 * ``engine``: the page's RoomsEngine). Return {openVerify(userId), destroy()}. */
export function initKeyChanges(engine, room) {
  const dialog = document.getElementById("e2e-verify-dialog");
  let dialogUserId = null; // whom the verify dialog is about
  const listeners = []; // [target, type, listener]: removed by destroy()
  const listen = (target, type, listener) => {
    target?.addEventListener(type, listener);
    listeners.push([target, type, listener]);
  };

  /** The open room's member ``userId`` as the dialog and notices name them ({name, username}):
   * "Name (@username)" when another member has the same display name, so two people with one
   * name cannot be told apart only by which row was clicked. */
  const memberOf = (userId) => {
    const members = room.room.members || [];
    const member = members.find((m) => Number(m.id) === Number(userId));
    if (!member) return null;
    const twins = members.filter((m) => m.name === member.name).length;
    return twins > 1 && member.username ? { ...member, name: `${member.name} (@${member.username})` } : member;
  };

  /** Show the key-changed notice for ``userId`` if they are in the open room. ``wasVerified``:
   * this device had marked them verified (the louder warning). */
  const showNotice = (userId, wasVerified) => {
    if (Number(userId) === engine.userId) {
      // One's own identity replaced (a reset on another device): not a stranger's key change.
      showBanner({
        id: bannerId(userId),
        tone: "warning",
        text: "Your encryption keys were replaced on another device. The keys on this device are no longer current: unlock with your new encryption password.",
        actions: [{ label: "Enter new password", onClick: () => e2eDialogs()?.unlock() }],
      });
      return;
    }
    const member = memberOf(userId);
    if (!member) return;
    const text = wasVerified
      ? `You verified ${member.name} before; their key has changed. Compare safety numbers before trusting it.`
      : `${member.name}'s encryption key changed.`;
    showBanner({
      id: bannerId(userId),
      tone: wasVerified ? "error" : "warning",
      text: wasVerified ? text : `${text} Their room keys are shared with the new key once you trust it.`,
      actions: [{ label: "Compare safety numbers", onClick: () => openVerify(userId) }],
    });
  };

  /** Look the open room's members up (cached by the engine) and show a notice for each whose
   * key changed since this device pinned it. */
  const checkMembers = async (ids = null) => {
    if (!room.room.encrypted) return;
    const wanted = (ids || room.room.members.map((m) => m.id)).filter((id) => Number(id) !== engine.userId);
    const found = await engine.identities(wanted);
    for (const [id, item] of Object.entries(found)) {
      if (item.status === "changed") showNotice(id, Boolean(item.pin?.verified));
    }
  };

  /** Open the verify dialog for a member (e.g. from the member list). */
  const openVerify = async (userId) => {
    if (!dialog) return;
    const wanted = Number(userId);
    dialogUserId = wanted;
    const member = memberOf(userId);
    resetDialog(member?.name || "This person");
    dialog.dataset.changed = "false";
    if (!dialog.open) dialog.showModal();
    dialog.querySelector(".dialog-foot [data-close-dialog]")?.focus();
    const stillWanted = () => dialog.open && dialogUserId === wanted;
    try {
      await fillDialog(engine, wanted, member, stillWanted);
      const mark = document.getElementById("e2e-verify-mark");
      if (stillWanted() && !mark.hidden && !mark.disabled) mark.focus();
    } catch (error) {
      if (stillWanted()) setMessage(document.getElementById("e2e-verify-error"), error.message);
    }
  };

  /** Accept ``userId``'s new key on this device and seal them the keys they lack in the rooms
   * this page knows (the open room first). */
  const trustNewKey = async (userId) => {
    await engine.ready;
    const pin = await engine.store.get("pins", Number(userId));
    const accepted = pin?.changed?.identity || pin?.identity;
    await acceptChangedIdentity(engine.store, Number(userId));
    engine.identityChanged(userId); // look them up afresh; retry their messages
    if (!accepted) return;
    const rooms = [room.id, ...[...engine.rooms.keys()].filter((id) => id !== room.id)];
    for (const roomId of rooms) {
      await engine.sharing.vouchAndShare(roomId, userId, accepted);
    }
  };

  if (dialog) {
    for (const button of dialog.querySelectorAll("[data-close-dialog]")) {
      listen(button, "click", () => dialog.close("cancel"));
    }
    const status = document.getElementById("e2e-verify-status");
    const error = document.getElementById("e2e-verify-error");
    const run = (button, label, work) =>
      listen(button, "click", async () => {
        // Only for a member whose numbers are on screen (not while loading, not without keys).
        if (dialogUserId === null || !["changed", "unverified"].includes(dialog.dataset.state)) return;
        const userId = dialogUserId;
        setMessage(error, "");
        setMessage(status, label);
        button.disabled = true;
        try {
          await work(userId);
          removeBanner(bannerId(userId));
          dialog.close("ok");
          // The member list's and the messages' marks say what this device now knows.
          room.emit();
          refreshTrustMarks(engine, userId);
        } catch (err) {
          setMessage(error, `That did not work: ${err.message}`);
        } finally {
          setMessage(status, "");
          button.disabled = false;
        }
      });
    run(document.getElementById("e2e-verify-trust"), "Sharing the room keys…", trustNewKey);
    run(document.getElementById("e2e-verify-mark"), "Saving…", async (userId) => {
      // Numbers compared for the new key: it is trusted and verified at once.
      if (dialog.dataset.changed === "true") await trustNewKey(userId);
      await setVerified(engine.store, Number(userId), true);
      engine.forgetIdentity(userId);
    });
  }

  listen(pinEvents, "keychanged", ({ detail }) => {
    showNotice(detail.userId, Boolean(detail.verified));
    refreshTrustMarks(engine, detail.userId);
    if (Number(detail.userId) !== engine.userId) room.emit(); // the member list's "Key changed"
  });
  listen(engine.events, "identity", ({ detail }) => {
    checkMembers([detail.userId]).catch(() => undefined);
  });
  const unsubscribe = room.subscribe(() => checkMembers().catch(() => undefined));
  checkMembers().catch(() => undefined);

  return {
    openVerify,
    /** Stop the notices and the dialog's buttons for this room. */
    destroy() {
      for (const [target, type, listener] of listeners.splice(0)) target?.removeEventListener(type, listener);
      unsubscribe();
    },
  };
}
