// The message content model on the chat side (docs/PROTOCOL.md "Message content"): one
// versioned object, the same in plaintext and encrypted rooms,
//   {v: 1, text, format: "markdown" | "plain", mentions: ["<user id>", ...] (sorted, unique),
//    mention_all: false, ...keys of later versions, kept as they are}.
// Plaintext rooms: the server stores it (message.content). Encrypted rooms: it is the signed,
// encrypted payload (plus rev/ts/ctr), and e2e hands it over as messageBody's ``content``.
// These adapters are the one place where the composer makes content and where incoming
// messages are read as content; the message list renders it (markdown_ui.js) without knowing
// which kind of room it came from.

export const CONTENT_VERSION = 1;
export const FORMATS = ["markdown", "plain"];

/** Return the content object of a message typed as ``text`` with ``picked`` mentions: a Map
 * (or iterable of [userId, username]) of the people picked from the autocomplete, and the
 * special names "here"/"all" in ``specials``. A pick counts only if its ``@username`` is still
 * in the text (the person may have deleted it again). */
export function buildContent(text, { picked = new Map(), specials = new Set(), format = "markdown" } = {}) {
  const words = new Set(mentionedNames(text));
  const mentions = [...new Map(picked).entries()]
    .filter(([, username]) => words.has(String(username).toLowerCase()))
    .map(([userId]) => String(userId));
  const mentionAll = [...specials].some((name) => words.has(name));
  return {
    v: CONTENT_VERSION,
    text,
    format,
    mentions: [...new Set(mentions)].sort((a, b) => Number(a) - Number(b)),
    mention_all: mentionAll,
  };
}

/** Return the content of an edit of ``previous`` (content) to ``text``: it keeps the
 * previous mentions whose ``@username`` is still in the text (``usernameOf(userId)``: the
 * member's username, or null if unknown), and @here/@all if it had them and still says so,
 * adds those picked in the editor's autocomplete (``picks``: {picked, specials}, as for
 * buildContent), and keeps every other key of ``previous`` (fields of later versions). */
export function editedContent(previous, text, usernameOf = () => null, picks = {}) {
  const picked = new Map();
  for (const userId of previous?.mentions || []) {
    const username = usernameOf(userId);
    if (username) picked.set(userId, username);
  }
  for (const [userId, username] of picks.picked || []) picked.set(String(userId), username);
  const specials = new Set(previous?.mention_all ? ["here", "all"] : []);
  for (const name of picks.specials || []) specials.add(name);
  const format = previous?.format === "plain" ? "plain" : "markdown";
  return { ...(previous || {}), ...buildContent(text, { picked, specials, format }) };
}

/** Return the lower-cased names written as ``@name`` in ``text``. */
export function mentionedNames(text) {
  return [...String(text).matchAll(MENTION)].map((m) => cleanName(m[2]).toLowerCase());
}

/** ``@name`` where it starts a word (not an e-mail address): [whole, before, name]. */
export const MENTION = /(^|[^\w@])@([\w.+-]+)/g;

/** A name as written after "@", without the dots that end a sentence ("@bob." is bob). */
export function cleanName(name) {
  return name.replace(/[.]+$/, "");
}

/** Return ``value`` as content if it has the shape, else null: ``v`` must be 1 and ``text`` a
 * string; a missing format is "markdown", an unknown one "plain" (shown as written); mentions
 * that are not strings are dropped. Other keys are kept. */
export function readContent(value) {
  if (!value || typeof value !== "object" || Array.isArray(value) || value.v !== CONTENT_VERSION) return null;
  if (typeof value.text !== "string") return null;
  const mentions = Array.isArray(value.mentions)
    ? value.mentions.filter((m) => typeof m === "string" || Number.isSafeInteger(m)).map(String)
    : [];
  const format = value.format === undefined ? "markdown" : FORMATS.includes(value.format) ? value.format : "plain";
  return { ...value, format, mentions, mention_all: value.mention_all === true };
}

/** Return the content of ``message`` as the page shows it (``shown``: its messageBody, which
 * for an encrypted message carries the decrypted ``content``), or null if it has none (a
 * placeholder, a system line, a deleted message). */
export function contentOf(message, shown = null) {
  if (message.kind !== "text" || message.deleted) return null;
  if (shown?.note) return null;
  if (shown?.content)
    return readContent(shown.content) || (typeof shown.text === "string" ? textContent(shown.text) : null);
  if (message.encrypted) {
    if (!shown || typeof shown.text !== "string") return null;
    return {
      v: CONTENT_VERSION,
      text: shown.text,
      format: "markdown",
      mentions: (shown.mentions || []).map(String),
      mention_all: shown.mention_all === true,
    };
  }
  return readContent(message.content) || textContent(message.body);
}

/** Return the content of a bare text (an older message, a pending send without content). */
export function textContent(text) {
  return { v: CONTENT_VERSION, text: String(text ?? ""), format: "markdown", mentions: [], mention_all: false };
}

/** Whether ``content`` mentions ``userId`` by name or everyone (@here / @all). */
export function mentionsUser(content, userId) {
  return Boolean(content && (content.mention_all || content.mentions.includes(String(userId))));
}

// Replies ---------------------------------------------------------------------------------

/** Return the reference a reply to ``message`` carries as ``content.reply_to``: its id and
 * number in the room (to find and load it) and its uuid and sender. In an encrypted room the
 * last two are bound into the target's own signature, so a server that puts another message
 * at that id or number is caught (``answers``). */
export function replyReference(message) {
  return {
    id: String(message.id),
    seq: message.seq,
    client_id: String(message.client_id),
    sender: String(message.sender.id),
  };
}

/** Return ``content``'s well-formed reply reference, or null. */
export function replyOf(content) {
  const ref = content?.reply_to;
  if (!ref || typeof ref !== "object" || Array.isArray(ref)) return null;
  if (typeof ref.id !== "string" || !/^\d+$/.test(ref.id)) return null;
  if (!Number.isSafeInteger(ref.seq) || ref.seq < 1) return null;
  if (typeof ref.client_id !== "string" || typeof ref.sender !== "string") return null;
  return ref;
}

/** Whether ``message`` is the one ``ref`` names (id, number, uuid and sender all agree). */
export function answers(ref, message) {
  return (
    String(message.id) === ref.id &&
    message.seq === ref.seq &&
    String(message.client_id) === ref.client_id &&
    String(message.sender?.id) === ref.sender
  );
}

/** Return a one-line excerpt of ``text`` of at most ``max`` characters. */
export function excerpt(text, max = 120) {
  const line = String(text).replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : line;
}
