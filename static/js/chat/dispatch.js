// The one place that handles server events (the socket protocol, docs/ARCHITECTURE.md).
// ``app``: {userId, rooms: RoomsStore, room: RoomView | null, reconnected()}.

import { handleSettingsEvent, handleStateEvent } from "../e2e/boot.js";
import { handleMemberRemoved } from "../e2e/members_ui.js";
import { handleE2EEvent } from "../e2e/rooms_ui.js";

export function dispatch(event, app) {
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
      handleMemberRemoved(event, app); // encrypted rooms: a key holder rotates the key
      break;
    case "room.joined":
      app.rooms.add(event.room);
      app.room?.joined(event.room);
      break;
    case "room.left":
      app.rooms.remove(event.room_id);
      app.room?.left(event.room_id);
      break;
    case "e2e.settings":
      handleSettingsEvent(event);
      break;
    case "e2e.state":
      handleStateEvent(event);
      break;
    case "e2e.envelope":
    case "e2e.key_needed":
    case "e2e.key_rotated":
    case "e2e.identity_changed":
    case "e2e.room_policy":
    case "e2e.room_state":
      handleE2EEvent(event, app);
      break;
    default:
      // An event this version does not know (a newer server): ignore it.
      break;
  }
}
