// The open room's details (no DOM): name, topic, owner, members and whether this user belongs.

import { roomTitle } from "./rooms_data.js";

export class CurrentRoom {
  constructor(room, { userId, isAdmin }) {
    this.room = { ...room, members: room.members || [] };
    this.userId = userId;
    this.isAdmin = isAdmin;
    this.listeners = new Set();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit() {
    for (const listener of this.listeners) listener(this);
  }

  get id() {
    return this.room.id;
  }

  get kind() {
    return this.room.kind;
  }

  get title() {
    return roomTitle(this.room, this.userId);
  }

  get isMember() {
    return Boolean(this.room.is_member);
  }

  get isOwner() {
    return this.room.owner_id === this.userId;
  }

  /** Whether this user may rename the room and add or remove people (as the server decides). */
  get canManage() {
    return this.kind !== "dm" && this.isMember && (this.isOwner || this.isAdmin);
  }

  /** Whether another member of the room shows ``user``'s display name (then show usernames). */
  sharesName(user) {
    return this.room.members.some((m) => Number(m.id) !== Number(user.id) && m.name === user.name);
  }

  /** Merge a room dict. ``forViewer`` is true for API replies (their is_member is this user's);
   * socket events (room.updated) are computed for the owner, so keep our own is_member. */
  set(room, { forViewer = false } = {}) {
    const next = { ...this.room, ...room, members: room.members ?? this.room.members };
    if (!forViewer) next.is_member = this.room.is_member;
    this.room = next;
    this.emit();
  }

  setMember(isMember) {
    if (this.room.is_member === isMember) return;
    this.room = { ...this.room, is_member: isMember };
    this.emit();
  }

  addMember(user) {
    if (this.room.members.some((m) => m.id === user.id)) return;
    this.room = { ...this.room, members: [...this.room.members, user] };
    this.emit();
  }

  removeMember(userId) {
    this.room = { ...this.room, members: this.room.members.filter((m) => m.id !== userId) };
    this.emit();
  }
}
