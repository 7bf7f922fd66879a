// The sidebar's rooms (no DOM): a map of room dicts from /api/rooms/ and socket events.

export const KIND_LABELS = {
  channel: "Public channel",
  group: "Private group",
  dm: "Direct message",
};

/** Return what to call a room: a DM is named after the other member when members are known
 * (``room.updated`` events carry a name computed for the owner, not for this user). */
export function roomTitle(room, userId) {
  if (room.kind === "dm") {
    const other = (room.members || []).find((m) => m.id !== userId);
    if (other) return other.name;
  }
  return room.name || "Direct message";
}

export class RoomsStore {
  constructor(rooms, { userId }) {
    this.userId = userId;
    this.rooms = new Map();
    this.listeners = new Set();
    this.replaceAll(rooms || []);
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit() {
    for (const listener of this.listeners) listener(this);
  }

  get(roomId) {
    return this.rooms.get(roomId) || null;
  }

  has(roomId) {
    return this.rooms.has(roomId);
  }

  title(room) {
    return roomTitle(room, this.userId);
  }

  replaceAll(rooms) {
    const known = this.rooms || new Map();
    this.rooms = new Map(
      rooms.map((room) => {
        // The server counts mentions in plaintext rooms only; keep the browser's count of an
        // encrypted room's (made as its messages were decrypted) while it stays unread.
        const before = known.get(room.id);
        const mentions =
          room.encrypted && room.unread ? Math.max(room.mentions || 0, before?.mentions || 0) : room.mentions;
        return [room.id, { ...room, mentions: mentions || 0 }];
      }),
    );
    this.emit();
  }

  /** Add a room the user just joined (or was added to). */
  add(room) {
    const known = this.rooms.get(room.id);
    this.rooms.set(room.id, {
      ...known,
      ...room,
      unread: known?.unread ?? room.unread ?? 0,
      mentions: known?.mentions ?? room.mentions ?? 0,
    });
    this.emit();
  }

  /** Apply a ``room.updated`` event: new name/topic/owner, keeping this user's unread count. */
  update(room) {
    const known = this.rooms.get(room.id);
    if (!known) return;
    const members = room.members ?? known.members;
    this.rooms.set(room.id, { ...known, ...room, members, unread: known.unread });
    this.emit();
  }

  remove(roomId) {
    if (this.rooms.delete(roomId)) this.emit();
  }

  /** Note that the room reached revision ``seq`` (a message or an edit arrived). */
  noteSeq(roomId, seq) {
    const room = this.rooms.get(roomId);
    if (room && Number.isFinite(seq) && seq > (room.last_seq || 0)) room.last_seq = seq;
  }

  /** Whether a digest ({room id: latest revision}) shows a room this list is behind on, or
   * one it does not know: then the sidebar missed events and should be fetched again. */
  behind(digest) {
    return Object.entries(digest).some(([id, seq]) => {
      const room = this.rooms.get(Number(id));
      return !room || seq > (room.last_seq || 0);
    });
  }

  incrementUnread(roomId) {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.unread = (room.unread || 0) + 1;
    this.emit();
  }

  /** Set the unread count the server computed (``room.read``: this person read the room in
   * another tab or on another device). */
  setUnread(roomId, unread) {
    const room = this.rooms.get(roomId);
    const count = Math.max(0, Number(unread) || 0);
    if (!room || (room.unread || 0) === count) return;
    room.unread = count;
    this.emit();
  }

  clearUnread(roomId) {
    const room = this.rooms.get(roomId);
    if (!room || (!room.unread && !room.mentions)) return;
    room.unread = 0;
    room.mentions = 0;
    this.emit();
  }

  /** A new message mentions this user (counted apart from the unread count). */
  incrementMentions(roomId) {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.mentions = (room.mentions || 0) + 1;
    this.emit();
  }

  /** This user's notification level of the room changed (in this tab or another). */
  setNotifyLevel(roomId, level) {
    const room = this.rooms.get(roomId);
    if (!room || room.notify_level === level) return;
    room.notify_level = level;
    this.emit();
  }

  /** The unread messages of all rooms (the tab title). */
  totalUnread() {
    let total = 0;
    for (const room of this.rooms.values()) total += room.unread || 0;
    return total;
  }

  /** Return the rooms in sidebar groups, each sorted by title. */
  grouped() {
    const groups = { channel: [], group: [], dm: [] };
    for (const room of this.rooms.values()) (groups[room.kind] || groups.group).push(room);
    const collator = new Intl.Collator(undefined, { sensitivity: "base" });
    for (const list of Object.values(groups)) {
      list.sort((a, b) => collator.compare(this.title(a), this.title(b)));
    }
    return groups;
  }
}
