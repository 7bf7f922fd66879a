// The one place that handles server events (the socket protocol, docs/ARCHITECTURE.md).
// ``app``: {userId, rooms: RoomsStore, room: RoomView | null, reconnected()}. Every event then
// goes to the handlers extensions registered for its type (extensions.js onEvent): the e2e.*
// events, and side effects such as the key rotation after member.removed.

export function dispatch(event, app, extensions) {
  switch (event.type) {
    case "hello":
      // ``reconnect`` is added by socket.js: false on the first connection of the page.
      if (event.reconnect) app.reconnected();
      app.room?.connected();
      break;
    case "message.new": {
      const message = event.message;
      app.room?.receive(message);
      const fromOther = message.kind === "text" && message.sender.id !== app.userId;
      if (fromOther && !app.room?.isReading(message.room_id)) {
        app.rooms.incrementUnread(message.room_id);
      }
      break;
    }
    case "message.updated":
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
