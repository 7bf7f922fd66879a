// The trust state as the trust record carries it (docs/PROTOCOL.md §16), and the merge of a
// record into this device's trust database. Pure: records in, records out (no DOM, no
// IndexedDB), so it is tested on its own (tests/js/trust_merge.test.mjs).
//
// Merge rules (union; the server can only serve a record signed by the user's own identity,
// but an older device may know less, and this device may have pinned something new since):
//   - a pin is never silently replaced: when the record's generations extend this device's
//     (a change accepted on another device), they are taken; when they conflict, the identity
//     seen FIRST (trust on first use, across devices) stays pinned and the other becomes a
//     "changed" notice, so whoever the server shows now is checked against it;
//   - verified marks are kept from both sides, for the same fingerprint only;
//   - known-encrypted rooms are a union; a uid is never replaced; the higher chain head wins
//     only when `extendsHead` says it extends the other, else the local one stays (flagged).

const LOCAL_ROOM_FIELDS = new Set(["roomId", "encrypted", "uid", "since", "head"]);
const RECORD_ROOM_FIELDS = new Set(["room", "uid", "since", "head"]);

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v) => Number.isSafeInteger(v);
const keysOf = (identity) => `${identity?.ed25519}|${identity?.x25519}`;

/** Return whether `value` survives canonical JSON unchanged (strings, integers, bools, null). */
function isPortable(value) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return isInt(value);
  if (Array.isArray(value)) return value.every(isPortable);
  if (isObject(value)) return Object.values(value).every(isPortable);
  return false;
}

function isIdentity(v) {
  return isObject(v) && typeof v.ed25519 === "string" && typeof v.x25519 === "string";
}

function isHead(v) {
  return v === null || (isObject(v) && isInt(v.index) && v.index >= 0 && typeof v.hash === "string");
}

/** Return a local pin's generations, oldest first, in the record's form. */
function localGenerations(pin) {
  const current = {
    identity: pin.identity,
    fingerprint: pin.fingerprint,
    firstSeen: pin.firstSeen,
    acceptedAt: pin.acceptedAt ?? null,
  };
  return [...(pin.history || []), current].map((g) => ({
    identity: g.identity,
    fingerprint: String(g.fingerprint ?? ""),
    first_seen: isInt(g.firstSeen) ? g.firstSeen : 0,
    accepted_at: isInt(g.acceptedAt) ? g.acceptedAt : null,
  }));
}

/**
 * Return the trust state of this device for the record: {v: 1, user, pins, rooms}, sorted by
 * id so equal knowledge gives equal bytes.
 */
export function toTrustState(userId, pins, rooms) {
  const recordPins = pins
    .filter((pin) => pin && isIdentity(pin.identity))
    .map((pin) => ({
      user: String(pin.userId),
      generations: localGenerations(pin),
      verified: pin.verified ? String(pin.fingerprint) : null,
    }))
    .sort((a, b) => Number(a.user) - Number(b.user));
  const recordRooms = rooms
    .filter((room) => room?.encrypted)
    .map((room) => {
      const extra = {};
      for (const [key, value] of Object.entries(room)) {
        if (!LOCAL_ROOM_FIELDS.has(key) && !RECORD_ROOM_FIELDS.has(key) && isPortable(value)) {
          extra[key] = value;
        }
      }
      return {
        ...extra,
        room: String(room.roomId),
        uid: room.uid ? String(room.uid) : null,
        since: isInt(room.since) ? room.since : 0,
        head: isHead(room.head ?? null) ? (room.head ?? null) : null,
      };
    })
    .sort((a, b) => Number(a.room) - Number(b.room));
  return { v: 1, user: String(userId), pins: recordPins, rooms: recordRooms };
}

/** Return a local pin made from a record pin's generations. */
function pinFrom(userId, generations, verifiedFp, changed) {
  const last = generations.at(-1);
  return {
    userId,
    identity: last.identity,
    fingerprint: last.fingerprint,
    firstSeen: last.first_seen,
    acceptedAt: last.accepted_at,
    verified: verifiedFp === last.fingerprint,
    changed,
    history: generations.slice(0, -1).map((g) => ({
      identity: g.identity,
      fingerprint: g.fingerprint,
      firstSeen: g.first_seen,
      acceptedAt: g.accepted_at,
    })),
  };
}

function isPrefix(shorter, longer) {
  return shorter.length <= longer.length && shorter.every((k, i) => k === longer[i]);
}

function validGenerations(entry) {
  if (!isObject(entry) || !Array.isArray(entry.generations) || !entry.generations.length) {
    return null;
  }
  const ok = entry.generations.every(
    (g) => isObject(g) && isIdentity(g.identity) && typeof g.fingerprint === "string" && isInt(g.first_seen),
  );
  return ok ? entry.generations : null;
}

function mergePin(local, entry, now, out) {
  const userId = Number(entry.user);
  const remote = validGenerations(entry);
  if (!Number.isSafeInteger(userId) || userId <= 0 || !remote) return;
  const remoteVerified = typeof entry.verified === "string" ? entry.verified : null;
  if (!local) {
    out.pins.push(pinFrom(userId, remote, remoteVerified, null));
    return;
  }
  const mine = localGenerations(local);
  const mineKeys = mine.map((g) => keysOf(g.identity));
  const theirKeys = remote.map((g) => keysOf(g.identity));
  if (mineKeys.at(-1) === theirKeys.at(-1)) {
    // Same identity pinned: keep the longer history, and a verified mark from either side.
    const verified = local.verified || remoteVerified === local.fingerprint;
    const longer = remote.length > mine.length && isPrefix(mineKeys.slice(0, -1), theirKeys);
    if (verified !== Boolean(local.verified) || longer) {
      const base = longer ? pinFrom(userId, remote, null, local.changed ?? null) : { ...local };
      out.pins.push({ ...local, ...base, verified });
    }
    if (mine.length > remote.length || (local.verified && remoteVerified !== local.fingerprint)) {
      out.ahead = true;
    }
    return;
  }
  if (isPrefix(mineKeys, theirKeys)) {
    // Another device accepted a change this one had not (a person's click there): take it.
    const changed = local.changed && keysOf(local.changed.identity) !== theirKeys.at(-1) ? local.changed : null;
    out.pins.push({ ...local, ...pinFrom(userId, remote, remoteVerified, changed) });
    return;
  }
  if (isPrefix(theirKeys, mineKeys)) {
    out.ahead = true;
    return;
  }
  // Conflict: the identity first seen stays pinned, the other becomes a "changed" notice.
  out.ahead = true;
  const remoteFirst = remote[0].first_seen < mine[0].first_seen;
  if (remoteFirst) {
    const changed = { identity: local.identity, seen: now };
    out.pins.push({ ...local, ...pinFrom(userId, remote, remoteVerified, changed) });
    out.notices.push({ kind: "pin_changed", userId, pinned: remote.at(-1).identity, current: local.identity });
  } else if (!local.changed) {
    const changed = { identity: remote.at(-1).identity, seen: now };
    out.pins.push({ ...local, changed });
    out.notices.push({ kind: "pin_changed", userId, pinned: local.identity, current: changed.identity });
  }
}

function mergeRoom(local, entry, extendsHead, out) {
  const roomId = Number(entry?.room);
  if (!isObject(entry) || !Number.isSafeInteger(roomId) || roomId <= 0) return;
  const uid = typeof entry.uid === "string" && entry.uid ? entry.uid : null;
  const since = isInt(entry.since) ? entry.since : 0;
  const head = isHead(entry.head ?? null) ? (entry.head ?? null) : null;
  const extra = {};
  for (const [key, value] of Object.entries(entry)) {
    if (!RECORD_ROOM_FIELDS.has(key) && !LOCAL_ROOM_FIELDS.has(key)) extra[key] = value;
  }
  if (!local) {
    out.rooms.push({ ...extra, roomId, uid, encrypted: true, since, head });
    return;
  }
  const merged = { ...extra, ...local, encrypted: true };
  let changed = false;
  if (!local.uid && uid) {
    merged.uid = uid;
    changed = true;
  } else if (local.uid && uid && String(local.uid) !== uid) {
    out.notices.push({ kind: "room_uid", roomId });
  } else if (local.uid && !uid) {
    out.ahead = true;
  }
  if (isInt(local.since) && since && since < local.since) {
    merged.since = since;
    changed = true;
  }
  const mine = local.head ?? null;
  if (!mine && head) {
    merged.head = head;
    changed = true;
  } else if (mine && !head) {
    out.ahead = true;
  } else if (mine && head && (mine.index !== head.index || mine.hash !== head.hash)) {
    if (head.index > mine.index && extendsHead(roomId, mine, head)) {
      merged.head = head;
      changed = true;
    } else {
      out.ahead = true;
      if (!(mine.index > head.index && extendsHead(roomId, head, mine))) {
        out.notices.push({ kind: "room_head", roomId, local: mine, remote: head });
      }
    }
  }
  if (changed || Object.keys(extra).some((key) => !(key in local))) out.rooms.push(merged);
}

/**
 * Merge a trust state from a record into this device's pins and rooms.
 * Return {pins, rooms, notices, ahead}: the local records to write, what to tell the user
 * ({kind: "pin_changed" | "room_uid" | "room_head", ...}), and whether this device knows
 * something the record lacks (then it writes a newer record back).
 *   extendsHead(roomId, lower, higher) -> whether the chain through `higher` extends `lower`
 *   (the room engine knows; by default nobody does, so a differing head stays local).
 */
export function mergeTrustState(local, state, { extendsHead = () => false, now = Date.now() } = {}) {
  const out = { pins: [], rooms: [], notices: [], ahead: false };
  const pins = new Map(local.pins.filter(Boolean).map((pin) => [Number(pin.userId), pin]));
  const rooms = new Map(local.rooms.filter((r) => r?.encrypted).map((r) => [Number(r.roomId), r]));
  const seenPins = new Set();
  const seenRooms = new Set();
  for (const entry of Array.isArray(state?.pins) ? state.pins : []) {
    const userId = Number(entry?.user);
    seenPins.add(userId);
    mergePin(pins.get(userId), entry, now, out);
  }
  for (const entry of Array.isArray(state?.rooms) ? state.rooms : []) {
    const roomId = Number(entry?.room);
    seenRooms.add(roomId);
    mergeRoom(rooms.get(roomId), entry, extendsHead, out);
  }
  if ([...pins.keys()].some((id) => !seenPins.has(id))) out.ahead = true;
  if ([...rooms.keys()].some((id) => !seenRooms.has(id))) out.ahead = true;
  return out;
}

/** The composer's reason while a locked device may not send (docs/PROTOCOL.md §16.6). */
export const LOCKED_UNKNOWN_ROOM =
  "Unlock your encryption keys to send here: Keyroom cannot yet tell whether this conversation is encrypted";

/**
 * Return whether a message may go out in plain text to a room the server calls plaintext, and
 * if not, why (docs/PROTOCOL.md §16.6): {allow, reason}.
 *   kind          the room's kind ("channel" is public and never encrypted)
 *   known         this device's trust database knows the room as encrypted
 *   locked        the keys are locked on this device
 *   recordMerged  this device has merged the user's trust record at least once
 */
export function plaintextSendDecision({ kind, known, locked, recordMerged }) {
  if (known) return { allow: false, reason: "known_encrypted" };
  if (kind === "channel") return { allow: true, reason: null };
  if (locked && !recordMerged) return { allow: false, reason: "locked_unknown" };
  return { allow: true, reason: null };
}
