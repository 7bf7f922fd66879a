// Trust on first use (docs/SECURITY.md, attack 1): the first identity seen for a person is pinned on
// this device; a different one later is a "key changed" event, never silently trusted.
// Every identity is verified (its self-signature over the user id) before it is pinned.
// A pin keeps every generation a person has had (`history`: the earlier ones, oldest first,
// each {identity, fingerprint, firstSeen, acceptedAt}), so history signed by an earlier key can
// still be verified and labelled as such. Pins live in the trust database (store.js): they
// survive logout, and trust_sync.js carries them to this user's other devices.
import { b64uEncode, fingerprint, safetyNumber, verifyPublicIdentity } from "../crypto/index.js";
import * as api from "./api.js";

/** Fired on `pinEvents` as "keychanged" with detail {userId, pinned, current, verified}. */
export const pinEvents = new EventTarget();

function sameKeys(a, b) {
  return a.ed25519 === b.ed25519 && a.x25519 === b.x25519;
}

async function describe(publicIdentity, userId) {
  const verified = await verifyPublicIdentity(publicIdentity, String(userId));
  return { verified, fingerprint: b64uEncode(await fingerprint(verified)) };
}

/**
 * Return {userId: {status, identity, verified, safetyNumber, pin}} for each user with keys.
 * status: "new" (pinned now), "same", or "changed" (the server shows another identity than
 * the pinned one: `verified` is still the PINNED identity, `current` the new one, unaccepted).
 * Users without published keys are absent. Identities with a bad signature are skipped.
 */
export async function lookupIdentities(store, userIds) {
  const wanted = [...new Set(userIds.map(Number))].filter((n) => n > 0);
  if (!wanted.length) return {};
  const { identities } = await api.getIdentities(wanted);
  const result = {};
  for (const item of identities) {
    const userId = Number(item.user_id);
    let current;
    try {
      current = await describe(item.identity, userId);
    } catch {
      continue; // a forged or malformed identity is never used
    }
    const pin = await store.get("pins", userId);
    if (!pin) {
      const record = {
        userId,
        identity: item.identity,
        fingerprint: current.fingerprint,
        firstSeen: Date.now(),
        verified: false,
        changed: null,
        history: [],
      };
      await store.put("pins", userId, record);
      result[userId] = { status: "new", identity: item.identity, verified: current.verified, pin: record };
    } else if (sameKeys(pin.identity, item.identity)) {
      result[userId] = { status: "same", identity: item.identity, verified: current.verified, pin };
    } else {
      const pinned = await describe(pin.identity, userId);
      if (!pin.changed || !sameKeys(pin.changed.identity, item.identity)) {
        pin.changed = { identity: item.identity, seen: Date.now() };
        await store.put("pins", userId, pin);
        pinEvents.dispatchEvent(
          new CustomEvent("keychanged", {
            detail: { userId, pinned: pin.identity, current: item.identity, verified: pin.verified },
          }),
        );
      }
      result[userId] = {
        status: "changed",
        identity: pin.identity,
        current: item.identity,
        verified: pinned.verified,
        pin,
      };
    }
  }
  return result;
}

/** Accept a changed identity for `userId` (a key holder confirmed it); it is pinned from now. */
export async function acceptChangedIdentity(store, userId) {
  const pin = await store.get("pins", userId);
  if (!pin || !pin.changed) return;
  const { fingerprint: fp } = await describe(pin.changed.identity, userId);
  const previous = {
    identity: pin.identity,
    fingerprint: pin.fingerprint,
    firstSeen: pin.firstSeen,
    acceptedAt: pin.acceptedAt ?? null,
  };
  await store.put("pins", userId, {
    ...pin,
    identity: pin.changed.identity,
    fingerprint: fp,
    firstSeen: pin.changed.seen ?? Date.now(),
    acceptedAt: Date.now(),
    verified: false,
    changed: null,
    history: [...(pin.history || []), previous],
  });
}

/**
 * Return every identity generation pinned for `userId`, oldest first: [{identity, fingerprint,
 * firstSeen, acceptedAt, current}] (`current` is true for the one pinned now). Empty when the
 * person is not pinned on this device.
 */
export async function pinnedIdentities(store, userId) {
  const pin = await store.get("pins", userId);
  if (!pin) return [];
  const current = {
    identity: pin.identity,
    fingerprint: pin.fingerprint,
    firstSeen: pin.firstSeen,
    acceptedAt: pin.acceptedAt ?? null,
  };
  return [
    ...(pin.history || []).map((generation) => ({ ...generation, current: false })),
    { ...current, current: true },
  ];
}

/** Mark a person as verified (safety numbers compared) or not. */
export async function setVerified(store, userId, verified) {
  const pin = await store.get("pins", userId);
  if (pin) await store.put("pins", userId, { ...pin, verified: Boolean(verified) });
}

/** Return the safety number (12 groups of 5 digits) of a public identity. */
export async function safetyNumberOf(publicIdentity, userId) {
  return safetyNumber(await verifyPublicIdentity(publicIdentity, String(userId)));
}
