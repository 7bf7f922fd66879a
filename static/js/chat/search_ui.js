// The search page (templates/chat/search.html) in the browser: the server's results for
// plaintext rooms (rendered by the server) and this device's results for encrypted rooms
// (the `deviceSearch` extension point: e2e/search/search.js), ranked together
// (search_rank.js), each marked with where it came from. A search that only concerns encrypted
// rooms ("only on this device", or an encrypted room chosen) runs here and never reaches the
// server. The "Encrypted rooms on this device" section says how much of each room this device
// has indexed and backfills older messages. mountSearch() returns {destroy}.

import { rankTogether, readFilters } from "./search_rank.js";
import { shortTime, fullTime } from "./time.js";
import { el } from "../lib/dom.js";

const KIND_MARK = { channel: "#", dm: "@" };
const BODY_MAX = 300;

function roomLabel(room) {
  if (!room) return "Encrypted room";
  if (room.kind === "dm") return "@Direct message";
  return `${KIND_MARK[room.kind] || ""}${room.name}`;
}

const approx = (n) => `~${Number(n).toLocaleString("en")}`;

/** Return the <li> of a device result (the same shape as the server's). */
function deviceItem(result, rooms) {
  const iso = new Date(result.ts).toISOString();
  const text = result.text.length > BODY_MAX ? `${result.text.slice(0, BODY_MAX - 1)}…` : result.text;
  return el(
    "li",
    {
      class: "search-result",
      dataset: { source: "device", key: result.key, room: String(result.room), sender: String(result.sender) },
    },
    el(
      "a",
      { class: "search-result-link", href: `/rooms/${Number(result.room)}/?m=${Number(result.seq)}` },
      el(
        "span",
        { class: "search-result-meta" },
        el("span", { class: "search-result-room", text: roomLabel(rooms.get(result.room)) }),
        el("span", { class: "search-result-sender", text: result.senderName }),
        el("time", { datetime: iso, title: fullTime(iso), text: shortTime(iso) }),
        el("span", { class: "search-source search-source-device", text: "On this device" }),
      ),
      el("span", { class: "search-result-body", text }),
    ),
  );
}

/** Read the server-rendered results: [{key, text, ts, node}]. */
function serverItems(list) {
  return [...(list?.querySelectorAll('li[data-source="server"]') || [])].map((node) => ({
    key: node.dataset.key,
    source: "server",
    text: node.querySelector(".search-result-body")?.textContent || "",
    ts: Number(node.dataset.time) * 1000,
    node,
  }));
}

/** Mount the search page on ``root`` (#search-page). ``deviceSearch``: the extension point (or
 * null); ``rooms``: the sidebar's RoomsStore; ``isEncrypted(room)``: the sidebar's rule. */
export function mountSearch(root, { deviceSearch, rooms, isEncrypted }) {
  const form = root.querySelector("#search-form");
  const input = root.querySelector("#search-input");
  const area = root.querySelector("#search-results-area");
  const section = root.querySelector("#device-search");
  const body = root.querySelector("#device-search-body");
  const deviceOnly = root.querySelector("#search-device-only");
  const roomSelect = root.querySelector("#search-room");
  const server = serverItems(area.querySelector("#search-results"));
  const rows = new Map(); // room id -> {count, bar, button}
  const cleanups = [];
  let status = "unavailable";

  const fields = () =>
    readFilters({
      room: roomSelect.value,
      person: root.querySelector("#search-person").value,
      from: root.querySelector("#search-since").value,
      to: root.querySelector("#search-until").value,
    });
  const encryptedRooms = () => [...rooms.rooms.values()].filter((room) => isEncrypted(room));
  const chosenRoomEncrypted = () => {
    const room = rooms.get(Number(roomSelect.value));
    return Boolean(room && isEncrypted(room));
  };

  /** Draw the merged results of ``query``: ``serverList`` (server items, or [] when the server
   * was not asked) with the device's. */
  async function show(query, serverList, { serverAsked }) {
    const filters = fields();
    const device = status === "ready" && query ? await deviceSearch.query(query, filters) : [];
    // (the server's results are filtered by the server already)
    const ranked = rankTogether(query, [...serverList, ...device]);
    const list = el("ol", { class: "search-results", id: "search-results" });
    for (const item of ranked) list.append(item.node || deviceItem(item, rooms));
    const count = el("h2", {
      class: "results-count",
      id: "search-count",
      "aria-live": "polite",
      text: `${ranked.length} result${ranked.length === 1 ? "" : "s"} for “${query}”`,
    });
    const parts = [count, list];
    if (!serverAsked) {
      parts.push(
        el("p", {
          class: "note",
          id: "search-server-skipped",
          text: "Searched on this device only: plaintext rooms were not searched, and the server was not asked.",
        }),
      );
    }
    if (!ranked.length) {
      parts.push(
        el(
          "div",
          { class: "empty-state", id: "search-empty" },
          el("h2", { text: "No messages found" }),
          el("p", { text: `Nothing matches “${query}”. Try fewer or different words.` }),
        ),
      );
    }
    area.replaceChildren(...parts);
    area.dataset.deviceSearched = String(status === "ready");
  }

  const onSubmit = (event) => {
    if (!(deviceOnly?.checked || chosenRoomEncrypted())) return; // the server's search (GET)
    event.preventDefault(); // the words stay on this device
    const query = input.value.trim();
    if (query) show(query, [], { serverAsked: false });
  };
  form.addEventListener("submit", onSubmit);
  cleanups.push(() => form.removeEventListener("submit", onSubmit));

  // The coverage section --------------------------------------------------------------------

  function setProgress(row, { covered, total, done }) {
    const percent = total ? Math.min(100, Math.round((covered / total) * 100)) : 100;
    row.bar.hidden = false;
    row.bar.value = percent;
    row.bar.setAttribute("aria-valuenow", String(percent));
    row.bar.setAttribute("aria-valuetext", done ? "Done" : `${percent}%`);
    if (done) row.button.disabled = false;
  }

  function runBackfill(roomId) {
    const row = rows.get(roomId);
    row.button.disabled = true;
    setProgress(row, { covered: 0, total: 1, done: false });
    deviceSearch
      .backfill(roomId, (progress) => setProgress(row, progress))
      .then(() => {
        row.status.textContent = "All messages this device can read are indexed.";
        row.done = true;
      })
      .catch(() => {
        row.status.textContent = "Indexing stopped (offline?). Try again.";
      })
      .finally(() => {
        row.button.disabled = false;
        redrawCounts();
      });
  }

  function roomRow(room) {
    const count = el("span", { class: "device-room-count" });
    const status = el("span", { class: "device-room-status", role: "status" });
    const bar = el("progress", {
      class: "device-room-progress",
      role: "progressbar",
      "aria-label": `Indexing ${roomLabel(room)}`,
      max: "100",
      value: "0",
      "aria-valuemin": "0",
      "aria-valuemax": "100",
      "aria-valuenow": "0",
      hidden: true,
    });
    const button = el("button", {
      type: "button",
      class: "button small",
      text: "Index older messages",
      "aria-label": `Index older messages of ${roomLabel(room)}`,
      onclick: () => runBackfill(room.id),
    });
    const forget = el("button", {
      type: "button",
      class: "button small",
      text: "Forget",
      "aria-label": `Forget ${roomLabel(room)} from this device's index`,
      onclick: () => deviceSearch.drop(room.id).then(redrawCounts),
    });
    const item = el(
      "li",
      { class: "device-room", dataset: { roomId: String(room.id) } },
      el("span", { class: "device-room-name", text: roomLabel(room) }),
      count,
      el("span", { class: "device-room-actions" }, button, forget),
      bar,
      status,
    );
    rows.set(room.id, { room, item, count, bar, button, status });
    return item;
  }

  let counting = null;
  function redrawCounts() {
    if (counting) return;
    counting = setTimeout(async () => {
      counting = null;
      const info = await deviceSearch.rooms([...rows.keys()]);
      for (const [roomId, row] of rows) {
        const total = rooms.get(roomId)?.last_seq || 0;
        const indexed = info[roomId]?.indexed || 0;
        row.count.textContent = `${indexed.toLocaleString("en")} of ${approx(total)} messages indexed`;
        row.item.dataset.indexed = String(indexed);
      }
    }, 0);
  }

  async function drawDevice() {
    if (!deviceSearch) return;
    const encrypted = encryptedRooms();
    if (!encrypted.length) return;
    section.hidden = false;
    status = await deviceSearch.status();
    section.dataset.status = status;
    if (status === "locked") {
      body.replaceChildren(
        el("p", { class: "device-search-locked", text: "Unlock your encryption keys to search encrypted rooms." }),
        el("button", {
          type: "button",
          class: "button primary",
          text: "Unlock",
          onclick: () => deviceSearch.unlock(),
        }),
      );
      deviceSearch.onUnlocked(() => location.reload());
      return;
    }
    if (status !== "ready") {
      body.replaceChildren(el("p", { text: "This device has no encryption keys yet, so it has nothing to search." }));
      return;
    }
    body.replaceChildren(el("ul", { class: "device-rooms" }, encrypted.map(roomRow)));
    cleanups.push(deviceSearch.onChange(redrawCounts));
    redrawCounts();
    // A backfill that was running when the page was left goes on.
    const info = await deviceSearch.rooms([...rows.keys()]);
    for (const [roomId, state] of Object.entries(info)) {
      if (state.running && rows.has(Number(roomId))) runBackfill(Number(roomId));
    }
  }

  (async () => {
    await drawDevice();
    const query = (area.dataset.query || "").trim();
    if (query && status === "ready") await show(query, server, { serverAsked: true });
    root.dataset.searchReady = "true"; // for tests: the device's part is drawn
  })();

  return {
    destroy() {
      for (const cleanup of cleanups) cleanup();
    },
  };
}
