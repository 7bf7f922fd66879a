// The app shell (home, room, search, browse pages): startChat() wires the stores, the views and
// the socket together; see the module comments for each part. It is started by the page entry
// module (js/pages/app.js) with the page's extension registry (extensions.js), which it passes
// down to every part that has an extension point.

import { listRooms } from "./api.js";
import { initBrowse } from "./browse_ui.js";
import { connectionStatusHandler } from "./connection_ui.js";
import { initDialogs } from "./dialogs_ui.js";
import { dispatch } from "./dispatch.js";
import { initTabTitle, Notifier } from "./notify.js";
import { PRESENCE_IDLE_MS, PresenceReporter, PresenceStore } from "./presence_data.js";
import { mountPresenceDots, watchActivity } from "./presence_ui.js";
import { RoomView } from "./room_view.js";
import { RoomsStore } from "./rooms_data.js";
import { initRoomList, initSidebarDrawer } from "./rooms_ui.js";
import { mountSearch } from "./search_ui.js";
import { ChatSocket } from "./socket.js";
import { localizeTimes } from "./time.js";
import { initBanners } from "../lib/banners_ui.js";
import { readConfig } from "../lib/config.js";
import { setCsrfToken } from "../lib/http.js";

/** Start the app shell of this page with ``extensions`` (createExtensions()). */
export function startChat(extensions) {
  const config = readConfig();
  setCsrfToken(config.csrf_token);
  initBanners();
  localizeTimes();
  initSidebarDrawer();
  initDialogs(extensions);

  const rooms = new RoomsStore(config.rooms, { userId: config.user.id });
  const presence = new PresenceStore({ userId: config.user.id });
  const app = {
    userId: config.user.id,
    rooms,
    presence,
    presenceReporter: null, // set once the socket exists
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
  app.notifier = new Notifier({
    userId: config.user.id,
    rooms,
    extensions,
    isReading: (roomId) => Boolean(app.room?.isReading(roomId)),
    sound: Boolean(config.notifications?.sound),
  });
  initTabTitle(rooms);
  extensions.booted(app);
  const roomList = document.getElementById("room-list");
  initRoomList(roomList, rooms, {
    currentRoomId: config.room?.id ?? null,
    extensions,
    presence,
  });
  mountPresenceDots(roomList, { presence });

  const showStatus = connectionStatusHandler();
  let everOpen = false;
  const socket = new ChatSocket(config.socket_url, {
    onEvent: (event) => dispatch(event, app, extensions),
    onStatus: (status) => {
      showStatus(status);
      if (status !== "open") return;
      const reconnect = everOpen;
      everOpen = true;
      // After the socket has handled the hello (dispatch.js: chat's own resync goes first).
      queueMicrotask(() => extensions.connected({ reconnect }));
    },
  });

  app.presenceReporter = new PresenceReporter({
    send: (state) => socket.notify({ type: "presence", state }),
    idleMs: config.presence?.idle_ms || PRESENCE_IDLE_MS,
  });
  watchActivity(app.presenceReporter);

  if (config.room && document.getElementById("room")) {
    app.room = new RoomView({ config, socket, rooms, extensions, presence });
    app.room.start();
  }
  if (document.getElementById("browse-form")) initBrowse();
  const searchPage = document.getElementById("search-page");
  if (searchPage) {
    mountSearch(searchPage, {
      deviceSearch: extensions.deviceSearch,
      rooms,
      isEncrypted: (room) => extensions.sidebarEncrypted(room),
    });
  }
  socket.start();
  return app;
}
