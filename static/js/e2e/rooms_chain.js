// The signed room-state chain on this device (no DOM; docs/PROTOCOL.md §15): fetch a room's
// entries, verify them from the genesis, refuse a chain that forks or rolls back the head this
// device remembers, and make and append new entries (with a retry when another member wrote
// first). Who may receive a key, whose keys are accepted and which key is current come only
// from here: never from the server's member list or its "current key".

import {
  b64uDecode,
  b64uEncode,
  entryHash,
  keyCommitment,
  keyProof,
  memberIdent,
  signEntry,
  verifyChain,
} from "../crypto/index.js";
import * as api from "./api.js";

const APPEND_TRIES = 3;

/**
 * The ``ts`` to sign an entry with: this device's clock, but never before the entry it follows
 * (a clock running behind would otherwise make an entry the chain refuses, §15.5 step 2).
 */
export function entryTime(previousTs, now = Date.now()) {
  return Math.max(now, previousTs ?? 0);
}

export const CHAIN_TROUBLE_TEXTS = {
  fork: "The server's record of this room's members and keys does not match the one this device verified before (it was forked). Keyroom will not share keys or send here until it does.",
  rollback:
    "The server is showing an older record of this room's members and keys than this device verified before (it was rolled back). Keyroom will not share keys or send here until it catches up.",
  invalid:
    "The server's record of this room's members and keys does not verify. Keyroom will not share keys or send here.",
  missing: "This room has no signed record of its members and keys, so Keyroom cannot trust its keys.",
};

/** An error of the chain step (``code``: "state_conflict" after the retries, or a trouble). */
export class ChainError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "ChainError";
    this.code = code;
  }
}

function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Return whether a chain identity is the given public identity (same keys). */
export function sameIdent(ident, publicIdentity) {
  return (
    Boolean(ident && publicIdentity) &&
    ident.ed25519 === publicIdentity.ed25519 &&
    ident.x25519 === publicIdentity.x25519
  );
}

/**
 * Compare a freshly verified chain with the head this device remembers for the room.
 * Return null when it extends (or equals) the remembered head, else "fork" or "rollback".
 */
export async function checkAgainstHead(entries, remembered, roomUid) {
  if (!remembered) return null;
  const index = Number(remembered.index);
  if (entries.length <= index) return "rollback";
  const hash = b64uEncode(await entryHash(roomUid, entries[index]));
  return hash === remembered.hash ? null : "fork";
}

export class RoomChain {
  /** ``engine``: the RoomsEngine (its user, the session's keys, memory of rooms). */
  constructor(engine) {
    this.engine = engine;
  }

  get me() {
    return String(this.engine.userId);
  }

  /**
   * Fetch the room's entries and verify them (from the genesis, or on from what this page
   * verified before), check them against the remembered head, and remember the new head.
   * Set ``state.chain`` (the verified state) or ``state.chainTrouble`` (why it is refused).
   */
  load(state) {
    // One load at a time per room: each continues from what the one before verified.
    const run = (state.chainLoading || Promise.resolve()).catch(() => undefined).then(() => this.#load(state));
    state.chainLoading = run;
    return run;
  }

  async #load(state) {
    const base = state.chain ? state.entries : [];
    const { entries } = await api.getRoomState(state.roomId, base.length);
    if (!base.length && !entries.length) {
      state.chain = null;
      state.chainTrouble = "missing";
      return;
    }
    const all = [...base, ...entries];
    let verified;
    try {
      verified = await verifyChain(entries, {
        roomId: state.uid,
        keys: state.keys,
        state: base.length ? state.chain : null,
      });
    } catch (error) {
      // An entry that does not verify (or does not follow what this page verified): the
      // server rewrote or reordered the chain. Nothing of it is used.
      this.#trouble(state, base.length && error.code === "bad_chain" ? "fork" : "invalid");
      return;
    }
    const known = this.engine.known.get(state.roomId);
    const trouble = await checkAgainstHead(all, known?.head, state.uid);
    if (trouble) {
      this.#trouble(state, trouble);
      return;
    }
    const hashes = [...state.hashes.slice(0, base.length)];
    for (const entry of entries) hashes.push(b64uEncode(await entryHash(state.uid, entry)));
    state.entries = all;
    state.hashes = hashes;
    state.chain = verified;
    state.chainTrouble = null;
    if (all.length) {
      const head = { index: all.length - 1, hash: b64uEncode(verified.head) };
      if (!known?.head || known.head.index !== head.index || known.head.hash !== head.hash) {
        await this.engine.remember(state.roomId, { head });
      }
    }
  }

  #trouble(state, kind) {
    state.chain = null;
    state.chainTrouble = kind;
    this.engine.warn(state.roomId, `chain_${kind}`, CHAIN_TROUBLE_TEXTS[kind]);
  }

  /** Check the proofs of new keys once this device holds the earlier keys (verifyChain checks
   * a proof only when the previous key is known): verify again with the keys. */
  async checkProofs(state) {
    if (!state.chain) return;
    const unproven = [...state.chain.keys.entries()].some(([, info]) => {
      if (info.proven || info.epoch <= 1) return false;
      const previous = [...state.chain.keys.entries()].find(([, other]) => other.epoch === info.epoch - 1);
      return previous && state.keys.has(previous[0]);
    });
    if (!unproven) return;
    try {
      state.chain = await verifyChain(state.entries, { roomId: state.uid, keys: state.keys });
    } catch {
      this.#trouble(state, "invalid");
    }
  }

  /** Whether ``key`` (opened from an envelope) is the key the chain committed to for ``keyId``. */
  async matchesCommitment(state, keyId, key) {
    const info = state.chain?.keys.get(keyId);
    if (!info) return false;
    return sameBytes(await keyCommitment({ roomId: state.uid, keyId, key }), info.commit);
  }

  /** The chain identities of ``userId`` (every one the chain recorded, newest first). */
  identitiesOf(state, userId) {
    return [...(state.chain?.identities.get(String(userId)) || [])].reverse();
  }

  /** The current chain members (Set of numbers), or an empty set without a chain. */
  members(state) {
    return new Set([...(state.chain?.members.keys() || [])].map(Number));
  }

  // Making entries ------------------------------------------------------------------------------

  async #sign(state, type, body, offset, prev, ts, session) {
    const signed = await signEntry({
      roomId: state.uid,
      index: offset,
      prev,
      type,
      author: this.me,
      ts,
      body,
      signingKey: session.keys.signingKey,
      signerPublicKey: b64uDecode(session.keys.publicIdentity.ed25519),
    });
    return { signed, hash: await entryHash(state.uid, signed) };
  }

  /** Sign a run of entries ``[{type, body}]`` that continue the room's verified chain. */
  async sign(state, items, session) {
    let index = state.entries.length;
    let prev = state.chain?.head || null;
    let ts = state.chain?.headTs ?? null;
    const out = [];
    for (const item of items) {
      ts = entryTime(ts);
      const { signed, hash } = await this.#sign(state, item.type, item.body, index, prev, ts, session);
      out.push(signed);
      prev = hash;
      index += 1;
    }
    return out;
  }

  /** The genesis of a new room: ``members`` maps user id → public identity (or null). */
  async genesis(roomUid, key, members, { shareHistory = true } = {}, session) {
    const list = [...members.entries()]
      .map(([userId, identity]) => ({ user: String(userId), ...memberIdent(identity) }))
      .sort((a, b) => compareIds(a.user, b.user));
    const commit = await keyCommitment({ roomId: roomUid, keyId: key.keyId, key: key.key });
    const body = { key_id: key.keyId, commit: b64uEncode(commit), share_history: Boolean(shareHistory), members: list };
    const signed = await signEntry({
      roomId: roomUid,
      index: 0,
      prev: null,
      type: "genesis",
      author: this.me,
      ts: entryTime(null),
      body,
      signingKey: session.keys.signingKey,
      signerPublicKey: b64uDecode(session.keys.publicIdentity.ed25519),
    });
    return signed;
  }

  /** The body of a ``key`` entry for ``key`` (the next epoch), proving the current key. */
  async keyBody(state, key) {
    const chain = state.chain;
    const previousKey = state.keys.get(chain.currentKeyId);
    if (!previousKey) throw new ChainError("This device does not hold the room's current key.", "no_key");
    const epoch = chain.epoch + 1;
    const commit = await keyCommitment({ roomId: state.uid, keyId: key.keyId, key: key.key });
    const proof = await keyProof({
      roomId: state.uid,
      epoch,
      previousKeyId: chain.currentKeyId,
      previousKey,
      keyId: key.keyId,
      commit,
      author: this.me,
    });
    return { epoch, key_id: key.keyId, commit: b64uEncode(commit), proof: b64uEncode(proof) };
  }

  /**
   * Append entries made by ``build(state)`` → ``{items, send(entries)}``: sign ``items``
   * on the latest verified chain and hand them to ``send``. When another member wrote first
   * (409 state_conflict), load the chain again and build again. Return ``send``'s result.
   */
  async append(state, session, build) {
    for (let attempt = 1; ; attempt += 1) {
      if (!state.chain)
        throw new ChainError(CHAIN_TROUBLE_TEXTS[state.chainTrouble || "missing"], state.chainTrouble || "missing");
      const plan = await build(state);
      if (!plan) return null;
      const entries = await this.sign(state, plan.items, session);
      try {
        const result = await plan.send(entries);
        await this.load(state); // take our own entries in through the same checks
        return result;
      } catch (error) {
        if (error.code !== "state_conflict" || attempt >= APPEND_TRIES) throw error;
        await this.load(state);
      }
    }
  }
}

/** Order user ids as PROTOCOL.md §15.1 does: by their UTF-8 bytes. */
export function compareIds(a, b) {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}
