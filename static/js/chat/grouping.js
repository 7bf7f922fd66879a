// Grouping of the message list (no DOM): consecutive messages of one sender within a few
// minutes show one name, avatar and time. Only the sender, the kind and the time decide it,
// never the text, so plaintext and encrypted rooms group alike (messages_ui.js applies it).

export const GROUP_WINDOW_MS = 5 * 60 * 1000;

function sameLocalDay(a, b) {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/** Return whether ``current`` continues the group of ``previous`` (the row just above it, or
 * null): both text messages (a system line breaks groups), the same sender, at most
 * GROUP_WINDOW_MS apart, on the same (local) day. Each is {sender, kind, time}, ``time`` in ms. */
export function continuesGroup(previous, current) {
  if (!previous || !current) return false;
  if (previous.kind !== "text" || current.kind !== "text") return false;
  if (!previous.sender || previous.sender !== current.sender) return false;
  const gap = current.time - previous.time;
  if (!Number.isFinite(gap) || gap < 0 || gap > GROUP_WINDOW_MS) return false;
  return sameLocalDay(previous.time, current.time);
}
