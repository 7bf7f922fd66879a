// Trust shown, not implied (DOM; docs/SECURITY.md "What the screen says about trust"): by each
// member of an encrypted room and by each encrypted message's sender, whether this device has
// the person's key pinned and verified ("Verified"), pinned only ("Not verified"), or sees
// another key than the pinned one ("Key changed"; louder if they had been verified). All of it
// comes from this device's pins (pins.js, through the engine's cached lookups), never from a
// server field. A key icon means "signed by the key I pinned": its name says which.

import { fullTime } from "../chat/time.js";
import { el, icon } from "../lib/dom.js";
import { getRoomAccess } from "./api.js";

/** Return what this device knows of ``userId``'s key: "verified", "unverified", "changed",
 * "changed_verified" (a person marked verified whose key changed) or "none" (no keys yet). */
export async function trustOf(engine, userId) {
  const item = (await engine.identities([userId]))[Number(userId)];
  if (!item) return "none";
  if (item.status === "changed") return item.pin?.verified ? "changed_verified" : "changed";
  return item.pin?.verified ? "verified" : "unverified";
}

const MEMBER_TAGS = {
  verified: { text: "Verified", className: "tag tag-verified", icon: "check" },
  unverified: { text: "Not verified", className: "tag tag-muted" },
  changed: { text: "Key changed", className: "tag tag-changed", icon: "alert" },
  changed_verified: { text: "Verified, key changed", className: "tag tag-changed", icon: "alert" },
  none: { text: "No keys yet", className: "tag tag-muted" },
};

function fillMemberTag(node, state) {
  const tag = MEMBER_TAGS[state];
  node.className = `${tag.className} member-trust`;
  node.dataset.trust = state;
  node.replaceChildren(...(tag.icon ? [icon(tag.icon)] : []), tag.text);
}

/** The trust tag by a member of an encrypted room (plugin.js: roomInfo.memberBadges), filled
 * once this device has looked them up; [] for oneself and plain rooms. */
export function memberTrustTag(engine, member, room) {
  if (!room.room.encrypted || Number(member.id) === Number(room.userId)) return [];
  const node = el("span", { class: "tag tag-muted member-trust", dataset: { trust: "pending", userId: member.id } });
  trustOf(engine, member.id)
    .then((state) => fillMemberTag(node, state))
    .catch(() => node.remove());
  return [node];
}

function messageLabel(state, name, earlierKey) {
  const base = earlierKey ? "Encrypted, signed with the sender's earlier key" : `Encrypted, signed by ${name}'s key`;
  switch (state) {
    case "verified":
      return `${base} — verified`;
    case "changed":
    case "changed_verified":
      return `${base} — their key has changed since; compare safety numbers`;
    case "pending":
      return base;
    default:
      return `${base} — not verified`;
  }
}

function fillMessageMark(node, state, name, earlierKey) {
  const label = messageLabel(state, name, earlierKey);
  node.dataset.trust = state;
  node.title = label;
  const key = icon("key", { label, className: `msg-key msg-key-${state}` });
  // A second, distinct shape so colour is not the only signal.
  let extra = null;
  if (state === "verified") extra = icon("check", { className: "msg-trust-check" });
  else if (state.startsWith("changed")) extra = icon("alert", { className: "msg-trust-alert" });
  node.replaceChildren(key, ...(extra ? [extra] : []));
}

/** The mark by an encrypted, verified message's sender (plugin.js: messageBadge): a key icon
 * whose name says whose key signed it and whether that person is verified on this device. */
export function messageTrustMark(engine, message, shown = {}) {
  const senderId = Number(message.sender.id);
  const own = senderId === engine.userId;
  const node = el("span", { class: "msg-trust", dataset: { userId: senderId } });
  if (own) {
    const label = shown.earlierKey ? "Encrypted, signed with your earlier key" : "Encrypted, signed by your key";
    node.dataset.trust = "own";
    node.title = label;
    node.append(icon("key", { label, className: "msg-key" }));
    return node;
  }
  const name = message.sender.name;
  node.dataset.name = name;
  node.dataset.earlierKey = String(Boolean(shown.earlierKey));
  fillMessageMark(node, "pending", name, shown.earlierKey);
  trustOf(engine, senderId)
    .then((state) => fillMessageMark(node, state, name, shown.earlierKey))
    .catch(() => undefined);
  return node;
}

/** Draw ``userId``'s marks again after this device's trust in them changed (marked verified,
 * a new key trusted or seen): every message mark on the page. */
export function refreshTrustMarks(engine, userId) {
  const selector = `.msg-trust[data-user-id="${Number(userId)}"]:not([data-trust="own"])`;
  const marks = document.querySelectorAll(selector);
  if (!marks.length) return;
  trustOf(engine, userId)
    .then((state) => {
      for (const node of marks) fillMessageMark(node, state, node.dataset.name, node.dataset.earlierKey === "true");
    })
    .catch(() => undefined);
}

// Room info facts ---------------------------------------------------------------------------------

const ACCESS_FRESH_MS = 5000; // one room access request per panel refresh burst

/** Return ``room``'s member ``userId`` as shown ({name, username}), or null. */
function memberOf(room, userId) {
  return room.room.members.find((m) => Number(m.id) === Number(userId)) || null;
}

function fact(term, className) {
  const dd = el("dd", { class: className });
  return { node: el("div", {}, el("dt", { text: term }), dd), dd };
}

/**
 * The facts of an encrypted room for room info (plugin.js: roomInfo.facts): "End-to-end
 * encrypted", since when and turned on by whom according to the genesis entry of the room's
 * signed chain this device verified (its signed ``ts``: the time its author's clock gave; not
 * any server field, nor when this device learnt of the room); for the owner, "Waiting for
 * keys": members of the chain with no identity yet, or who the server hints hold no envelope
 * (only a "waiting" list: nothing about trust is said from it).
 */
export function roomFacts(engine, room, cache) {
  if (!room.isMember || !(room.room.encrypted || engine.isKnownEncrypted(room.id))) return [];
  const encrypted = fact("Encryption", "e2e-room-fact");
  encrypted.dd.id = "room-info-e2e";
  encrypted.dd.textContent = "End-to-end encrypted";
  const nodes = [encrypted.node];
  const waiting = room.isOwner ? fact("Waiting for keys", "e2e-room-waiting") : null;
  if (waiting) {
    waiting.dd.id = "room-info-e2e-waiting";
    waiting.node.hidden = true;
    nodes.push(waiting.node);
  }
  engine
    .ensure(room.id)
    .then(async (state) => {
      const chain = state.chain;
      if (!chain) {
        encrypted.dd.textContent = "End-to-end encrypted (this device could not verify the room's signed record)";
        return;
      }
      const starter = chain.starter ? memberOf(room, chain.starter) : null;
      const who = Number(chain.starter) === engine.userId ? "you" : starter?.name || "a former member";
      const since = new Date(chain.startedTs);
      encrypted.dd.replaceChildren(
        "End-to-end encrypted since ",
        el("time", { datetime: since.toISOString(), text: fullTime(since) }),
        `, turned on by ${who}`,
      );
      if (!waiting) return;
      const without = new Set(
        [...chain.members.entries()].filter(([, ident]) => ident === null).map(([user]) => Number(user)),
      );
      if (!cache.access || Date.now() - cache.at > ACCESS_FRESH_MS) {
        cache.at = Date.now();
        cache.access = getRoomAccess(room.id).catch(() => ({ needs: [] }));
      }
      const access = await cache.access;
      for (const need of access.needs || []) {
        if (chain.members.has(String(need.user_id))) without.add(Number(need.user_id));
      }
      without.delete(engine.userId);
      const names = [...without].map((id) => memberOf(room, id)?.username).filter(Boolean);
      waiting.dd.textContent = names.join(", ");
      waiting.node.hidden = !names.length;
    })
    .catch(() => undefined);
  return nodes;
}
