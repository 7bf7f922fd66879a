// The one place that handles server events (the socket protocol, docs/ARCHITECTURE.md).
// ``app``: {userId, rooms: RoomsStore, room: RoomView | null, notifier: Notifier (notify.js),
// presence: PresenceStore, presenceReporter: PresenceReporter (presence_data.js), reconnected()}. Every event then
// goes to the handlers extensions registered for its type (extensions.js onEvent): the e2e.*
// events, and side effects such as the key rotation after member.removed.

export function dispatch(event, app, extensions) {
  switch (event.type) {
    case "hello":
      // ``reconnect`` is added by socket.js: false on the first connection of the page.
      if (event.reconnect) app.reconnected();
      app.room?.connected();
      // Every open: this tab's state; the server answers with presence.snapshot (the resync).
      app.presenceReporter?.connected();
      break;
    case "digest":
      // Now and then, straight from the database: what the layer may have lost (an outage, a
      // starved server). Each room's view and the sidebar resync only if behind.
      if (app.rooms.behind(event.rooms)) app.reconnected();
      app.room?.digest(event.rooms);
      break;
    case "resync":
      // The server's channel layer failed and is back: events may be lost.
      app.reconnected();
      app.room?.connected();
      break;
    case "message.new": {
      const message = event.message;
      app.rooms.noteSeq(message.room_id, message.rev);
      app.room?.receive(message);
      const fromOther = message.kind === "text" && message.sender.id !== app.userId;
      if (fromOther && !app.room?.isReading(message.room_id)) {
        app.rooms.incrementUnread(message.room_id);
      }
      app.notifier?.arrived(message); // mention badge, desktop notification
      break;
    }
    case "room.notify_level":
      app.rooms.setNotifyLevel(event.room_id, event.notify_level);
      app.room?.roomUpdated({ id: event.room_id, notify_level: event.notify_level });
      break;
    case "message.updated":
      app.rooms.noteSeq(event.message.room_id, event.message.rev);
      app.room?.receive(event.message);
      break;
    case "room.updated":
      app.rooms.update(event.room);
      app.room?.roomUpdated(event.room);
      break;
    case "member.added":
      app.room?.memberAdded(event.room_id, event.user);
      break;
    case "member.removed":
      app.room?.memberRemoved(event.room_id, event.user_id);
      break;
    case "room.joined":
      app.rooms.add(event.room);
      app.room?.joined(event.room);
      break;
    case "room.read":
      // This person read the room elsewhere (another tab or device): the badge follows. The
      // tab reading it now keeps its own (zero) count.
      if (!app.room?.isReading(event.room_id)) app.rooms.setUnread(event.room_id, event.unread);
      break;
    case "typing":
      // Ephemeral (never stored, not resynced): someone else started or stopped typing.
      app.room?.typing(event);
      break;
    case "presence":
    case "presence.self":
    case "presence.snapshot":
      // Ephemeral (never stored): online, away, offline; the snapshot comes on every open.
      app.presence?.heard(event);
      break;
    case "room.left":
      app.rooms.remove(event.room_id);
      app.room?.left(event.room_id);
      break;
    default:
      // Not chat's own: an extension's (e2e.*), or one this version does not know (a newer
      // server), which nobody handles.
      break;
  }
  extensions.emitEvent(event, app);
}
