// The room header (name, key icon, topic) and the page title, kept current from CurrentRoom.
// Extension point (extensions.js): headerEncrypted (the key icon).

export function initRoomHeader(room, extensions) {
  const name = document.getElementById("room-name");
  const topic = document.getElementById("room-topic");
  const encrypted = document.getElementById("room-encrypted");
  const composer = document.getElementById("composer-input");
  const render = () => {
    name.textContent = room.title;
    topic.textContent = room.room.topic || "";
    topic.hidden = !room.room.topic;
    // Also when the server no longer says so but this device knows it was (docs/SECURITY.md, attack 9).
    // (An <svg> has no .hidden property: toggle the attribute.)
    encrypted?.toggleAttribute("hidden", !extensions.headerEncrypted(room));
    if (composer) composer.placeholder = `Message ${room.kind === "channel" ? "#" : ""}${room.title}`;
    document.title = `${room.title} · Keyroom`;
  };
  room.subscribe(render);
  render();
}
