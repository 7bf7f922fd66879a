// Transcript integrity of an encrypted room (no DOM): what the signed payload fields ``rev``,
// ``ts``, ``ctr`` and the signed tombstone tell about what the server did with the messages
// (docs/PROTOCOL.md §9.1, docs/SECURITY.md attack 15). One explicit state object per room, made by
// createTranscript() and passed to every function; no module state.
//
// The checks, per room and per sender:
// - rollback: a message shown at a higher ``rev`` comes back at a lower one;
// - replay: a second row with a message id (client_id), or a (sender, ctr), already seen;
// - withheld: a gap in a sender's ``ctr`` among the rows of a seq range the page fully loaded;
// - server deletion: a row the server marks deleted without a valid signed tombstone;
// - clock: ``ts`` more than 10 minutes away from the server's time for that version.

import { readContent, textContent } from "../chat/content.js";

export const CLOCK_SKEW_MS = 10 * 60 * 1000;

export const TRANSCRIPT_TEXTS = {
  rolledBack: "This edit was rolled back by the server",
  replayed: "A repeated copy of an earlier message was dropped",
  removed: "Removed by the server",
  deleted: "Message deleted",
  skew: "Sent at a time that does not match the server",
};

/** The line shown before a sender's message when ``count`` of their messages are missing. */
export function withheldText(count, name) {
  return count === 1 ? `1 message from ${name} was withheld` : `${count} messages from ${name} were withheld`;
}

const isCount = (value, min) => Number.isSafeInteger(value) && value >= min;
const TRANSCRIPT_KEYS = ["rev", "ts", "ctr"];

/** Return the message content (chat/content.js) a decrypted, non-tombstone payload carries:
 * the payload itself without rev/ts/ctr (PROTOCOL.md "Message content"). An older payload
 * without ``v`` is Markdown text with the mentions it may carry; one of a later version shows
 * its text as written ("plain"). */
export function payloadContent(payload) {
  const rest = Object.fromEntries(Object.entries(payload).filter(([key]) => !TRANSCRIPT_KEYS.includes(key)));
  const content = readContent(rest);
  if (content) return content;
  const older = payload.v === undefined;
  const mentions = Array.isArray(payload.mentions) && payload.mentions.every((m) => typeof m === "string");
  return {
    ...textContent(payload.text),
    format: older ? "markdown" : "plain",
    mentions: older && mentions ? [...payload.mentions] : [],
    mention_all: older && payload.mention_all === true,
  };
}

/** Return the transcript fields of a decrypted payload: {text, deleted, rev, ts, ctr} and,
 * for a message, its ``content`` (``text`` null for a tombstone; missing numbers null, for
 * messages from before §9.1). Return null if the payload is not a message or a tombstone of
 * this format. */
export function readPayload(payload) {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) return null;
  const fields = { text: null, deleted: false, rev: null, ts: null, ctr: null };
  for (const [name, min] of [
    ["rev", 0],
    ["ts", 0],
    ["ctr", 1],
  ]) {
    if (payload[name] === undefined) continue;
    if (!isCount(payload[name], min)) return null;
    fields[name] = payload[name];
  }
  if (payload.deleted !== undefined) {
    if (payload.deleted !== true || payload.text !== undefined) return null;
    fields.deleted = true;
    return fields;
  }
  if (typeof payload.text !== "string") return null;
  fields.text = payload.text;
  // The payload is the message's content (PROTOCOL.md "Message content").
  fields.content = payloadContent(payload);
  return fields;
}

/** Return a new, empty transcript of one room for the user ``userId``. */
export function createTranscript({ userId }) {
  return {
    userId: Number(userId),
    rows: new Map(), // message id -> row facts (the server's current version)
    versions: new Map(), // message id -> Map(server rev -> decrypted fields | {error, final})
    low: null, // the page has every row with low <= seq <= high (see setCoverage)
    high: null,
    ownMax: 0, // highest own ctr learnt outside the rows (the server's list of own messages)
    reserved: new Map(), // client_id -> ctr given to a new message this page is sending
    seeded: false, // the own-messages list was read
  };
}

/** Record a row as the server gave it (history, event, resync or reply). */
export function noteRow(state, message) {
  if (message.kind !== "text") return;
  state.rows.set(message.id, {
    id: message.id,
    seq: message.seq,
    rev: message.rev,
    clientId: message.client_id,
    senderId: Number(message.sender.id),
    senderName: message.sender.name,
    deleted: Boolean(message.deleted),
    hasPayload: message.payload !== null && message.payload !== undefined,
    createdAt: Date.parse(message.created_at),
    editedAt: message.edited_at ? Date.parse(message.edited_at) : null,
  });
}

/** Record what decrypting one version (``message.rev``) of a row gave: a verified result with
 * the fields of readPayload(), or {error, final} (``final`` false while it may still resolve:
 * no key yet, locked). */
export function noteResult(state, message, result) {
  if (!state.versions.has(message.id)) state.versions.set(message.id, new Map());
  state.versions.get(message.id).set(message.rev, result);
}

/** Say which seq range the page has fully loaded: every row the server has with
 * ``low <= seq <= high`` was given to the page (no false alarms across a page boundary). */
export function setCoverage(state, low, high) {
  state.low = low;
  state.high = high;
}

/** Learn one of this user's own counter values from outside the rows (seeding). */
export function noteOwnCounter(state, ctr) {
  if (isCount(ctr, 1) && ctr > state.ownMax) state.ownMax = ctr;
}

function ownCountersSeen(state) {
  let max = state.ownMax;
  for (const row of state.rows.values()) {
    if (row.senderId !== state.userId) continue;
    for (const result of state.versions.get(row.id)?.values() || []) {
      if (result.verified && result.ctr !== null && result.ctr > max) max = result.ctr;
    }
  }
  return max;
}

/** Whether this page knows any of its user's own counter values in the room. */
export function knowsOwnCounter(state) {
  return ownCountersSeen(state) > 0;
}

/** Return the counter of the new message ``clientId`` (the same on every retry): one more
 * than the highest own counter seen or given out. */
export function reserveCounter(state, clientId) {
  if (state.reserved.has(clientId)) return state.reserved.get(clientId);
  const ctr = Math.max(ownCountersSeen(state), ...state.reserved.values(), 0) + 1;
  state.reserved.set(clientId, ctr);
  return ctr;
}

/** Return the best verified version of a message: the highest ``rev`` seen (the server may
 * show an older one; the reader is shown this one). */
function best(state, id) {
  let found = null;
  for (const [serverRev, result] of state.versions.get(id) || []) {
    if (!result.verified) continue;
    if (!found || (result.rev ?? 0) > (found.result.rev ?? 0)) found = { serverRev, result };
  }
  return found;
}

/** Return {rev, ctr} for the next change (edit or tombstone) of one's own message ``id``. */
export function changeFields(state, id) {
  const found = best(state, id)?.result;
  return { rev: (found?.rev ?? 0) + 1, ctr: found?.ctr ?? null };
}

function currentResult(state, row) {
  return state.versions.get(row.id)?.get(row.rev) || null;
}

/** Return the verdict of every row: Map(id -> {shown, replayOf, rolledBack, deleted, removed,
 * before: [lines], after: [lines]}). ``shown`` is the verified result to display (the best
 * version when the server rolled it back), or null to keep the row's own state. */
export function verdicts(state) {
  const rows = [...state.rows.values()].sort((a, b) => a.seq - b.seq);
  const out = new Map();
  const byClient = new Map();
  const byCounter = new Map();
  let eraStart = null; // the lowest seq of a row with ciphertext: encrypted from there on
  for (const row of rows) {
    if (row.hasPayload && (eraStart === null || row.seq < eraStart)) eraStart = row.seq;
  }
  for (const row of rows) {
    const verdict = {
      shown: null,
      replayOf: null,
      rolledBack: false,
      deleted: false,
      removed: false,
      before: [],
      after: [],
    };
    out.set(row.id, verdict);
    const current = currentResult(state, row);
    const top = best(state, row.id);
    // Rollback: an earlier server version carried a higher rev than the current one.
    if (current?.verified && top && (top.result.rev ?? 0) > (current.rev ?? 0)) {
      verdict.rolledBack = true;
      verdict.shown = top.result;
      verdict.after.push(TRANSCRIPT_TEXTS.rolledBack);
    }
    const shown = verdict.shown || (current?.verified ? current : null);
    // Replay: the lowest seq with a message id, or with a (sender, ctr), is the message.
    const first = byClient.get(row.clientId);
    if (first !== undefined) verdict.replayOf = first;
    else byClient.set(row.clientId, row.id);
    if (shown && shown.ctr !== null) {
      const key = `${row.senderId}:${shown.ctr}`;
      const earlier = byCounter.get(key);
      if (earlier !== undefined && verdict.replayOf === null) verdict.replayOf = earlier;
      else if (earlier === undefined) byCounter.set(key, row.id);
    }
    if (verdict.replayOf !== null) continue;
    // Deletion: only a verified tombstone is the sender's.
    if (shown?.deleted) verdict.deleted = true;
    else if (row.deleted) {
      if (row.hasPayload) verdict.removed = shown !== null || Boolean(current?.error && current.final);
      else verdict.removed = eraStart !== null && row.seq > eraStart;
    }
    // Clock: the sender's time against the server's for this version.
    if (shown && shown.ts !== null && !shown.deleted && !verdict.rolledBack) {
      const serverTime = (shown.rev ?? 0) === 0 ? row.createdAt : row.editedAt;
      if (Number.isFinite(serverTime) && Math.abs(shown.ts - serverTime) > CLOCK_SKEW_MS) {
        verdict.after.push(TRANSCRIPT_TEXTS.skew);
      }
    }
  }
  markGaps(state, rows, out);
  return out;
}

/** Add the "withheld" lines: within the fully loaded range, a sender's counter must go up by
 * one from each of their rows to the next; a row whose counter is unknown (not decrypted yet,
 * failed, removed, older format) may account for one missing value. */
function markGaps(state, rows, out) {
  if (state.low === null || state.high === null) return;
  const senders = new Map(); // sender id -> {last, unknown}
  for (const row of rows) {
    if (row.seq < state.low || row.seq > state.high) continue;
    const verdict = out.get(row.id);
    if (verdict.replayOf !== null) continue;
    if (!senders.has(row.senderId)) senders.set(row.senderId, { last: state.low === 1 ? 0 : null, unknown: 0 });
    const track = senders.get(row.senderId);
    const current = currentResult(state, row);
    const shown = verdict.shown || (current?.verified ? current : null);
    if (!shown || shown.ctr === null || verdict.removed) {
      track.unknown += 1;
      continue;
    }
    if (track.last !== null) {
      const missing = shown.ctr - track.last - 1 - track.unknown;
      if (missing > 0) verdict.before.push(withheldText(missing, row.senderName));
    }
    track.last = Math.max(track.last ?? 0, shown.ctr);
    track.unknown = 0;
  }
}

/** A short, stable description of a verdict (to redraw only the rows whose verdict changed). */
export function verdictKey(verdict) {
  const neutral =
    !verdict ||
    (verdict.replayOf === null &&
      !verdict.rolledBack &&
      !verdict.deleted &&
      !verdict.removed &&
      !verdict.before.length &&
      !verdict.after.length);
  if (neutral) return "";
  return JSON.stringify([
    verdict.shown?.rev ?? null,
    verdict.replayOf,
    verdict.rolledBack,
    verdict.deleted,
    verdict.removed,
    verdict.before,
    verdict.after,
  ]);
}
