// The documents of the device's search index and how they are grouped into records (pure; no
// DOM, no storage). One document per decrypted message that is shown as text:
//   {id, room, sender, senderName, seq, rev, ts, text}
// (``ts``: the server's created_at in ms, as the server's own search filters by; ``rev``: the
// revision the text is from, so an older revision decrypted late never overwrites a newer one).
// A room's documents are kept in blocks of BLOCK seqs, each block one sealed record (seal.js),
// so a new message rewrites one small record, not the room.

export const BLOCK = 256;
const MAX_TEXT = 20_000; // longer texts are cut (nothing longer is sent: KEYROOM_MESSAGE_MAX_CHARS)

/** Return the block number of a seq. */
export const blockOf = (seq) => Math.floor(Number(seq) / BLOCK);

/** Return the record name of a room's block ("b:<room>:<block>"), and of a room's state. */
export const blockName = (roomId, block) => `b:${Number(roomId)}:${Number(block)}`;
export const roomStateName = (roomId) => `r:${Number(roomId)}`;

/** Return {kind: "block", roomId, block} | {kind: "room", roomId} | null for a record name. */
export function parseName(name) {
  const block = /^b:(\d+):(\d+)$/.exec(name);
  if (block) return { kind: "block", roomId: Number(block[1]), block: Number(block[2]) };
  const room = /^r:(\d+)$/.exec(name);
  if (room) return { kind: "room", roomId: Number(room[1]) };
  return null;
}

/** Return the document of a decrypted message (``message``: as the API serializes it;
 * ``result``: its verified decryption with ``text``), or null when there is no text to find. */
export function docFrom(message, result) {
  if (!result?.verified || result.deleted || typeof result.text !== "string" || message.deleted) return null;
  const text = result.text.trim();
  if (!text) return null;
  const created = Date.parse(message.created_at);
  return {
    id: Number(message.id),
    room: Number(message.room_id),
    sender: Number(message.sender?.id),
    senderName: String(message.sender?.name || message.sender?.username || ""),
    seq: Number(message.seq),
    rev: Number(message.rev) || 0,
    ts: Number.isFinite(created) ? created : 0,
    text: text.slice(0, MAX_TEXT),
  };
}

const isCount = (value) => Number.isInteger(value) && value >= 0;

/** Whether ``doc`` has the document shape (a restored record is checked item by item). */
export function isDoc(doc) {
  return (
    Boolean(doc) &&
    typeof doc === "object" &&
    [doc.id, doc.room, doc.sender, doc.seq, doc.rev, doc.ts].every(isCount) &&
    typeof doc.senderName === "string" &&
    typeof doc.text === "string"
  );
}

/** Return the value stored for a block: {v: 1, room, block, docs: [...]}, ordered by seq. */
export function serialiseBlock(roomId, block, docs) {
  return {
    v: 1,
    room: Number(roomId),
    block: Number(block),
    docs: [...docs].sort((a, b) => a.seq - b.seq),
  };
}

/** Return the documents of a stored block value (a Map id -> doc); throw if it is not the block
 * ``roomId``/``block`` or a document is malformed (the caller drops the record). */
export function restoreBlock(value, roomId, block) {
  if (!value || value.v !== 1 || value.room !== Number(roomId) || value.block !== Number(block)) {
    throw new Error("not this block");
  }
  if (!Array.isArray(value.docs)) throw new Error("no documents");
  const docs = new Map();
  for (const doc of value.docs) {
    if (!isDoc(doc) || doc.room !== Number(roomId) || blockOf(doc.seq) !== Number(block)) {
      throw new Error("malformed document");
    }
    docs.set(doc.id, doc);
  }
  return docs;
}

/** Apply a document to a block's Map: add it, or replace the stored one if ``doc`` is of the
 * same or a later revision. Return whether the block changed. */
export function applyDoc(docs, doc) {
  const stored = docs.get(doc.id);
  if (stored && stored.rev > doc.rev) return false;
  if (stored && stored.rev === doc.rev && stored.text === doc.text) return false;
  docs.set(doc.id, doc);
  return true;
}

/** A room's stored state: which seqs its backfill covered, from ``low`` to ``high`` with no gap
 * (null: none yet), and whether a backfill was running (it resumes on the next search page). */
export function roomState(value) {
  const ok = value && value.v === 1;
  const range = ok && isCount(value.low) && isCount(value.high) && value.low <= value.high;
  return {
    v: 1,
    low: range ? value.low : null,
    high: range ? value.high : null,
    running: Boolean(ok && value.running),
  };
}
