// The message content model on the chat side (docs/PROTOCOL.md "Message content"): one
// versioned object, the same in plaintext and encrypted rooms,
//   {v: 1, text, mentions: ["<user id>", ...] (sorted, unique), mention_all: false}.
// These few adapters are the one place where the composer makes content and where incoming
// messages are read as content, so that the content model (issue 10) plugs in here.

export const CONTENT_VERSION = 1;

/** Return the content object of a message typed as ``text`` with ``picked`` mentions: a Map
 * (or iterable of [userId, username]) of the people picked from the autocomplete, and the
 * special names "here"/"all" in ``specials``. A pick counts only if its ``@username`` is still
 * in the text (the person may have deleted it again). */
export function buildContent(text, { picked = new Map(), specials = new Set() } = {}) {
  const words = new Set(mentionedNames(text));
  const mentions = [...new Map(picked).entries()]
    .filter(([, username]) => words.has(username.toLowerCase()))
    .map(([userId]) => String(userId));
  const mentionAll = [...specials].some((name) => words.has(name));
  return {
    v: CONTENT_VERSION,
    text,
    mentions: [...new Set(mentions)].sort((a, b) => Number(a) - Number(b)),
    mention_all: mentionAll,
  };
}

/** Return the lower-cased names written as ``@name`` in ``text``. */
export function mentionedNames(text) {
  return [...String(text).matchAll(/(?:^|[^\w@])@([\w.+-]+)/g)].map((m) => m[1].replace(/[.]+$/, "").toLowerCase());
}

/** Return ``value`` as content if it has the shape, else null (a reader refuses v != 1). */
export function readContent(value) {
  if (!value || typeof value !== "object" || value.v !== CONTENT_VERSION) return null;
  if (typeof value.text !== "string") return null;
  const mentions = Array.isArray(value.mentions) ? value.mentions.map(String) : [];
  return { ...value, mentions, mention_all: value.mention_all === true };
}

/** Return the content of ``message`` as the page shows it (``shown``: its messageBody, which
 * for an encrypted message carries the decrypted fields), or null if it has none yet. */
export function contentOf(message, shown = null) {
  if (message.kind !== "text" || message.deleted) return null;
  const own = readContent(message.content);
  if (own) return own;
  if (message.encrypted) {
    if (!shown || typeof shown.text !== "string" || shown.note) return null;
    return (
      readContent(shown.content) || {
        v: CONTENT_VERSION,
        text: shown.text,
        mentions: (shown.mentions || []).map(String),
        mention_all: shown.mention_all === true,
      }
    );
  }
  return { v: CONTENT_VERSION, text: message.body, mentions: [], mention_all: false };
}

/** Whether ``content`` mentions ``userId`` by name or everyone (@here / @all). */
export function mentionsUser(content, userId) {
  return Boolean(content && (content.mention_all || content.mentions.includes(String(userId))));
}
