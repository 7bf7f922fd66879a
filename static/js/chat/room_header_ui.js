// The room header (name, key icon, topic) and the page title, kept current from CurrentRoom.

export function initRoomHeader(room) {
  const name = document.getElementById("room-name");
  const topic = document.getElementById("room-topic");
  const encrypted = document.getElementById("room-encrypted");
  const composer = document.getElementById("composer-input");
  const render = () => {
    name.textContent = room.title;
    topic.textContent = room.room.topic || "";
    topic.hidden = !room.room.topic;
    if (encrypted) encrypted.hidden = !room.room.encrypted;
    if (composer) composer.placeholder = `Message ${room.kind === "channel" ? "#" : ""}${room.title}`;
    document.title = `${room.title} · Keyroom`;
  };
  room.subscribe(render);
  render();
}
