// Members come and go in encrypted rooms (no DOM; docs/PROTOCOL.md "Membership changes"):
// adding people (signed member_added entries + keys sealed in one request; without history
// sharing the key is rotated first), the room's history-sharing policy (a signed policy entry),
// and rotating the key after someone leaves (one at a time per room: the engine's rotations).
// members_ui.js draws the controls.

import { getRoom } from "../chat/api.js";
import * as api from "./api.js";
import { identBody } from "./rooms_sharing.js";
import { requireKeys, sessionWithKeys, sleep } from "./rooms_state.js";

// Key holders who see member.removed wait ROTATE_FLOOR_MS + 0..ROTATE_DELAY_MS before rotating:
// the random part keeps them from all doing it, the floor lets the remover's browser (which
// rotates right after its DELETE) normally go first, so nobody's rotation is refused (409).
const ROTATE_DELAY_MS = 1500;
const ROTATE_FLOOR_MS = 500;

/** Add ``userIds`` to the encrypted room ``roomId`` (its owner, a key holder): sign a
 * ``member_added`` entry for each newcomer with the identity this device pinned for them (none
 * for people without keys, or whose key changed: a holder confirms them later), and seal the
 * current key (and, when the room shares history, every earlier key this device holds) to each
 * newcomer with keys. One request. Return the server's reply {added}. */
export async function addToEncryptedRoom(engine, roomId, userIds, { onProgress } = {}) {
  const session = requireKeys();
  await engine.refresh(roomId); // the chain and the keys as they are now
  const state = await engine.ensure(roomId);
  const { room } = await getRoom(roomId);
  const current = new Set((room.members || []).map((m) => Number(m.id)));
  state.members = current;
  const newcomers = [...new Set(userIds.map(Number))].filter((id) => !current.has(id) && id !== engine.userId);
  if (!newcomers.length) return { added: [] };
  if (!state.currentKeyId || !state.keys.has(state.currentKeyId)) {
    throw new Error(
      "This device does not hold the room's current key yet, so it cannot add people. Try again in a moment.",
    );
  }
  if (!state.shareHistory) {
    // Newcomers must not read earlier messages: they join under a fresh key, sealed first to
    // the current members (the earlier messages stay under keys they never get).
    await engine.sharing.rotate(roomId);
  }
  const found = await engine.identities(newcomers);
  const identities = {};
  for (const id of newcomers) {
    if (found[id] && found[id].status !== "changed") identities[id] = found[id].identity;
  }
  const recipients = newcomers.filter((id) => identities[id]);
  return engine.chain.append(state, session, async () => {
    const items = newcomers.map((id) => ({
      type: "member_added",
      body: {
        user: String(id),
        ...(identities[id] ? identBody(identities[id]) : { ed25519: "", x25519: "", sig: "" }),
      },
    }));
    const keyIds = state.shareHistory
      ? [...state.keys.keys()].sort((a, b) => state.epochOf(a) - state.epochOf(b))
      : [state.currentKeyId];
    const shares = [];
    if (recipients.length) {
      const total = keyIds.length * recipients.length;
      let done = 0;
      for (const keyId of keyIds) {
        const key = { keyId, key: state.keys.get(keyId) };
        const envelopes = await engine.sharing.seal(state.uid, key, recipients, identities, session, (n) =>
          onProgress?.(done + n, total),
        );
        done += envelopes.length;
        shares.push({ key_id: keyId, envelopes });
      }
    }
    return {
      items,
      send: async (entries) => {
        const reply = await api.addEncryptedMembers(roomId, { user_ids: newcomers, entries, shares });
        for (const id of newcomers) state.members?.add(id);
        return reply;
      },
    };
  });
}

/** Set whether newcomers of the room receive its earlier keys (owner): a signed policy entry. */
export async function setShareHistory(engine, roomId, share) {
  const session = requireKeys();
  const state = await engine.ensure(roomId);
  await engine.chain.append(state, session, async () => ({
    items: [{ type: "policy", body: { share_history: Boolean(share) } }],
    send: (entries) => api.setRoomPolicy(roomId, entries),
  }));
  engine.emit("keys", { roomId: state.roomId });
}

/** Rotate the room key now if a rotation is due (someone left) and this device holds the
 * current key; "already_rotated" (another holder did it) is fine. Return whether it rotated. */
export function rotateIfDue(engine, roomId) {
  // One rotation at a time per room on this page (the remover's own, and the one its
  // member.removed event asks for): the second one finds the rotation done and does nothing.
  const id = Number(roomId);
  const running = engine.rotations; // room id -> Promise of the running rotation check
  const run = (running.get(id) || Promise.resolve()).catch(() => false).then(() => rotateNowIfDue(engine, id));
  running.set(id, run);
  run
    .finally(() => {
      if (running.get(id) === run) running.delete(id);
    })
    .catch(() => undefined);
  return run;
}

async function rotateNowIfDue(engine, roomId) {
  if (!sessionWithKeys()) return false;
  await engine.refresh(roomId);
  const state = await engine.ensure(roomId);
  if (!state.serverEncrypted || !state.rotationDue || !state.keys.has(state.currentKeyId)) return false;
  await engine.sharing.rotate(roomId); // refetches the member list: seals to current members only
  return true;
}

/** member.removed in an encrypted room: after a random delay (another holder may do it
 * first), rotate the key if it is still due. */
export function memberLeft(engine, roomId, userId) {
  const id = Number(roomId);
  if (Number(userId) === engine.userId) return undefined; // this user left: nothing to seal
  const pending = engine.pendingRotations; // room id -> Promise
  if (pending.has(id)) return pending.get(id);
  const run = (async () => {
    await engine.ready;
    if (!engine.isKnownEncrypted(id)) return false;
    await sleep(ROTATE_FLOOR_MS + Math.random() * ROTATE_DELAY_MS);
    return rotateIfDue(engine, id);
  })()
    .catch(() => false)
    .finally(() => pending.delete(id));
  pending.set(id, run);
  return run;
}
