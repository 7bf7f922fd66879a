// Entry point of the app shell (home, room, search, browse pages). Wires the stores, the
// views and the socket together; see the module comments for each part.

import { listRooms, setCsrfToken } from "./api.js";
import { connectionStatusHandler, initBanners } from "./banners_ui.js";
import { initBrowse } from "./browse_ui.js";
import { readConfig } from "./config.js";
import { initDialogs } from "./dialogs_ui.js";
import { dispatch } from "./dispatch.js";
import { RoomView } from "./room_view.js";
import { RoomsStore } from "./rooms_data.js";
import { initRoomList, initSidebarDrawer } from "./rooms_ui.js";
import { ChatSocket } from "./socket.js";
import { localizeTimes } from "./time.js";
import { startE2E } from "../e2e/boot.js";

const config = readConfig();
setCsrfToken(config.csrf_token);
initBanners();
localizeTimes();
initSidebarDrawer();
initDialogs();
startE2E();

const rooms = new RoomsStore(config.rooms, { userId: config.user.id });
initRoomList(document.getElementById("room-list"), rooms, { currentRoomId: config.room?.id ?? null });

const app = {
  userId: config.user.id,
  rooms,
  room: null,
  /** After a reconnect: the sidebar may have missed events too. */
  async reconnected() {
    try {
      const data = await listRooms();
      rooms.replaceAll(data.rooms);
      if (app.room?.isReading(app.room.room.id)) rooms.clearUnread(app.room.room.id);
    } catch {
      // The next reconnect tries again.
    }
  },
};

const socket = new ChatSocket(config.socket_url, {
  onEvent: (event) => dispatch(event, app),
  onStatus: connectionStatusHandler(),
});

if (config.room && document.getElementById("room")) {
  app.room = new RoomView({ config, socket, rooms });
  app.room.start();
}
if (document.getElementById("browse-form")) initBrowse();
socket.start();
