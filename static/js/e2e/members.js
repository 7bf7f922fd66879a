// Members come and go in encrypted rooms (no DOM; docs/PROTOCOL.md "Membership changes"):
// adding people (attestations + keys sealed in one request; without history sharing the key is
// rotated first), the room's history-sharing policy, and rotating the key after someone leaves. members_ui.js draws the controls.

import { signMembership } from "../crypto/index.js";
import { getRoom } from "../chat/api.js";
import * as api from "./api.js";
import { requireKeys, sessionWithKeys, sleep } from "./rooms_state.js";

// Key holders who see member.removed wait ROTATE_FLOOR_MS + 0..ROTATE_DELAY_MS before rotating:
// the random part keeps them from all doing it, the floor lets the remover's browser (which
// rotates right after its DELETE) normally go first, so nobody's rotation is refused (409).
const ROTATE_DELAY_MS = 1500;
const ROTATE_FLOOR_MS = 500;

/** Add ``userIds`` to the encrypted room ``roomId`` (its owner, a key holder): sign a
 * membership attestation of each newcomer under the current key, and seal the current key (and,
 * when the room shares history, every earlier key this device holds) to each newcomer with
 * keys, never to a changed identity. One request. Return the server's reply {added}. */
export async function addToEncryptedRoom(engine, roomId, userIds, { onProgress } = {}) {
  const session = requireKeys();
  await engine.refresh(roomId); // the current key id and policy as the server has them now
  const state = await engine.ensure(roomId);
  const { room } = await getRoom(roomId);
  const current = new Set((room.members || []).map((m) => Number(m.id)));
  const newcomers = [...new Set(userIds.map(Number))].filter((id) => !current.has(id) && id !== engine.userId);
  if (!newcomers.length) return { added: [] };
  if (!state.currentKeyId || !state.keys.has(state.currentKeyId)) {
    throw new Error("This device does not hold the room's current key yet, so it cannot add people. Try again in a moment.");
  }
  if (!state.shareHistory) {
    // Newcomers must not read earlier messages: they join under a fresh key, sealed first to
    // the current members (the earlier messages stay under keys they never get).
    await engine.sharing.rotate(roomId);
  }
  const attestations = await Promise.all(
    newcomers.map(async (memberId) => ({
      member_id: memberId,
      attestation: await signMembership({
        roomId: state.uid,
        keyId: state.currentKeyId,
        attesterId: engine.me,
        memberId: String(memberId),
        signingKey: session.keys.signingKey,
      }),
    })),
  );
  const found = await engine.identities(newcomers);
  const identities = Object.fromEntries(Object.entries(found).filter(([, item]) => item.status !== "changed"));
  const recipients = newcomers.filter((id) => identities[id]);
  const keyIds = state.shareHistory
    ? [...state.keys.keys()].sort((a, b) => (state.epochs.get(a) || 0) - (state.epochs.get(b) || 0))
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
  const reply = await api.addEncryptedMembers(roomId, { user_ids: newcomers, attestations, shares });
  for (const id of newcomers) state.members?.add(id);
  return reply;
}

/** Set whether newcomers of the room receive its earlier keys (owner). */
export async function setShareHistory(engine, roomId, share) {
  await api.setRoomPolicy(roomId, Boolean(share));
  engine.policyChanged({ room_id: roomId, share_history: Boolean(share) });
}

/** Rotate the room key now if a rotation is due (someone left) and this device holds the
 * current key; "already_rotated" (another holder did it) is fine. Return whether it rotated. */
export function rotateIfDue(engine, roomId) {
  // One rotation at a time per room on this page (the remover's own, and the one its
  // member.removed event asks for): the second one finds the rotation done and does nothing.
  const id = Number(roomId);
  const run = (rotating.get(id) || Promise.resolve()).catch(() => false).then(() => rotateNowIfDue(engine, id));
  rotating.set(id, run);
  run.finally(() => {
    if (rotating.get(id) === run) rotating.delete(id);
  }).catch(() => undefined);
  return run;
}

const rotating = new Map(); // room id -> Promise of the running rotation check

async function rotateNowIfDue(engine, roomId) {
  if (!sessionWithKeys()) return false;
  await engine.refresh(roomId);
  const state = await engine.ensure(roomId);
  if (!state.serverEncrypted || !state.rotationDue || !state.keys.has(state.currentKeyId)) return false;
  await engine.sharing.rotate(roomId); // refetches the member list: seals to current members only
  return true;
}

const pendingRotations = new Map(); // room id -> Promise

/** member.removed in an encrypted room: after a random delay (another holder may do it
 * first), rotate the key if it is still due. */
export function memberLeft(engine, roomId, userId) {
  const id = Number(roomId);
  if (Number(userId) === engine.userId) return undefined; // this user left: nothing to seal
  if (pendingRotations.has(id)) return pendingRotations.get(id);
  const run = (async () => {
    await engine.ready;
    if (!engine.isKnownEncrypted(id)) return false;
    await sleep(ROTATE_FLOOR_MS + Math.random() * ROTATE_DELAY_MS);
    return rotateIfDue(engine, id);
  })()
    .catch(() => false)
    .finally(() => pendingRotations.delete(id));
  pendingRotations.set(id, run);
  return run;
}
