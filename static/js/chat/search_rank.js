// Ranking of the search page's results (pure; no DOM): the server's results for plaintext
// rooms and the device's for encrypted rooms are scored together by one MiniSearch index over
// both (the same tokeniser and BM25 scoring for each, so neither source wins by its own
// scale), best first, newer first on a tie. Results that MiniSearch does not match (the
// server matched a word inside a longer one) follow, newest first.

import MiniSearch from "../../vendor/minisearch-7.2.0/index.js";

/** MiniSearch's query options for message search (the device index uses the same). Every word
 * must match (as on the server), the last one also as a prefix of a longer word, and words of
 * five letters or more with one typo. */
export const SEARCH_OPTIONS = Object.freeze({
  combineWith: "AND",
  prefix: (term, i, terms) => i === terms.length - 1,
  fuzzy: (term) => (term.length >= 5 ? 1 : 0),
});

/** Return a new MiniSearch index of message documents ({id, text, ...}). */
export function messageIndex() {
  return new MiniSearch({ fields: ["text"], storeFields: [], searchOptions: SEARCH_OPTIONS });
}

/** Return ``items`` ({key, text, ts, source, ...}) ranked for ``query`` (see above). */
export function rankTogether(query, items) {
  const index = messageIndex();
  const byKey = new Map();
  for (const item of items) {
    if (byKey.has(item.key)) continue;
    byKey.set(item.key, item);
    index.add({ id: item.key, text: item.text });
  }
  const scores = new Map(index.search(query).map((hit) => [hit.id, hit.score]));
  return [...byKey.values()].sort((a, b) => {
    const sa = scores.get(a.key);
    const sb = scores.get(b.key);
    if (sa !== undefined && sb !== undefined && sa !== sb) return sb - sa;
    if ((sa === undefined) !== (sb === undefined)) return sa === undefined ? 1 : -1;
    return b.ts - a.ts;
  });
}

/** Return a search's filters from the form's fields (strings): {room, person, from, to} with
 * numbers for ids, ms bounds for the dates (``to``: the end of that day, UTC, as the server's
 * filter), null for a field left empty or unreadable. */
export function readFilters({ room = "", person = "", from = "", to = "" } = {}) {
  const id = (value) => (/^\d+$/.test(String(value)) ? Number(value) : null);
  const day = (value) => (/^\d{4}-\d{2}-\d{2}$/.test(String(value)) ? Date.parse(`${value}T00:00:00Z`) : NaN);
  const start = day(from);
  const end = day(to);
  return {
    room: id(room),
    person: id(person),
    from: Number.isFinite(start) ? start : null,
    to: Number.isFinite(end) ? end + 24 * 3600 * 1000 - 1 : null,
  };
}

/** Whether a result ({room, sender, ts}) passes the filters (readFilters). */
export function passes(result, filters) {
  if (filters.room !== null && result.room !== filters.room) return false;
  if (filters.person !== null && result.sender !== filters.person) return false;
  if (filters.from !== null && result.ts < filters.from) return false;
  if (filters.to !== null && result.ts > filters.to) return false;
  return true;
}
