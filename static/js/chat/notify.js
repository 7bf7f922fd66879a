// Desktop notifications, mention counts and the tab title (issue 10). For every new message of
// someone else, the content is asked of the messageContent extension point (extensions.js: a
// plaintext message carries it; E2E decrypts on this device, so the text shown never comes from
// the server), then:
//  - a mention of this user (or @here/@all where the room allows it) counts in the sidebar's
//    mention badge unless the room is being read;
//  - a desktop notification (sender and text) is shown when the browser has granted the
//    permission (asked only from My Account -> Notifications, never here), the room is not
//    the open room of a visible tab, and the room's level allows it: "all", "mentions" (only
//    when mentioned), "nothing".
// Nothing here asks for the permission.

import { mentionsUser } from "./content.js";

const DEFAULT_LEVELS = { channel: "mentions", group: "all", dm: "all" };
const BODY_MAX = 180;

/** The level of a room summary (the server's, else the default of its kind). */
export function notifyLevel(room) {
  return room?.notify_level || DEFAULT_LEVELS[room?.kind] || "all";
}

/** Whether a message with ``content`` in ``room`` should notify ``userId``. */
export function shouldNotify(room, content, userId) {
  const level = notifyLevel(room);
  if (level === "nothing" || !content) return false;
  return level === "all" || isMention(room, content, userId);
}

/** Whether ``content`` mentions ``userId`` in ``room``: by id, or by @here/@all where the room
 * allows them (in an encrypted room the server cannot refuse them, so the browser ignores them). */
export function isMention(room, content, userId) {
  if (!content) return false;
  if (content.mentions.includes(String(userId))) return true;
  return mentionsUser(content, userId) && room?.allow_mention_all !== false;
}

function beep() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
    tone.onended = () => audio.close();
  } catch {
    // No audio (or not allowed yet): the notification itself is enough.
  }
}

export class Notifier {
  /** ``rooms``: RoomsStore; ``isReading(roomId)``: whether the visible tab shows that room;
   * ``sound``: play a sound with each notification (My Account -> Notifications). */
  constructor({ userId, rooms, extensions, isReading, sound = false }) {
    this.userId = userId;
    this.rooms = rooms;
    this.extensions = extensions;
    this.isReading = isReading;
    this.sound = sound;
  }

  /** A ``message.new`` from the socket (not a resync: old messages do not notify). */
  async arrived(message) {
    if (message.kind !== "text" || message.deleted || Number(message.sender.id) === this.userId) return;
    const room = this.rooms.get(message.room_id);
    if (!room) return;
    // Unreadable here (null, or a failure): no mention, no notification.
    const content = await this.extensions.messageContent(message).catch(() => null);
    const reading = this.isReading(message.room_id);
    if (!reading && isMention(room, content, this.userId)) this.rooms.incrementMentions(message.room_id);
    if (reading || !shouldNotify(room, content, this.userId)) return;
    this.show(room, message, content);
  }

  show(room, message, content) {
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    const sender = message.sender.name || message.sender.username;
    const where = room.kind === "dm" ? sender : `${sender} in ${this.rooms.title(room)}`;
    const text = content.text.length > BODY_MAX ? `${content.text.slice(0, BODY_MAX)}…` : content.text;
    try {
      const notification = new Notification(where, {
        body: text,
        tag: `keyroom-message-${message.id}`,
        silent: !this.sound,
      });
      notification.onclick = () => {
        window.focus();
        window.location.assign(`/rooms/${message.room_id}/?m=${message.seq}`);
      };
    } catch {
      return; // e.g. a browser that wants a service worker for notifications
    }
    if (this.sound) beep();
  }
}

/** Keep the tab title as "(<unread>) <title>" while any room has unread messages. */
export function initTabTitle(rooms) {
  const base = document.title.replace(/^\(\d+\+?\)\s*/, "");
  const render = () => {
    const total = rooms.totalUnread();
    const title = total ? `(${total > 99 ? "99+" : total}) ${base}` : base;
    if (document.title !== title) document.title = title;
  };
  rooms.subscribe(render);
  render();
}
