// The "Browse channels" page: public channels from /api/channels/, filtered as you type.

import { joinRoom, listChannels } from "./api.js";
import { byId, el, icon, setMessage } from "../lib/dom.js";

export function initBrowse() {
  const form = byId("browse-form");
  const input = byId("browse-input");
  const status = byId("browse-status");
  const list = byId("channel-list");
  let controller = null;
  let timer = null;

  const join = async (channel, button) => {
    button.disabled = true;
    try {
      await joinRoom(channel.id);
      window.location.assign(`/rooms/${channel.id}/`);
    } catch (error) {
      button.disabled = false;
      setMessage(status, error.message);
    }
  };

  const item = (channel) => {
    const members = `${channel.member_count} member${channel.member_count === 1 ? "" : "s"}`;
    const button = channel.is_member
      ? el("a", {
          class: "button small",
          href: `/rooms/${channel.id}/`,
          "aria-label": `Open ${channel.name}`,
          text: "Open",
        })
      : el("button", {
          type: "button",
          class: "button primary small",
          "aria-label": `Join ${channel.name}`,
          text: "Join",
        });
    if (!channel.is_member) button.addEventListener("click", () => join(channel, button));
    return el(
      "li",
      { class: "channel" },
      el(
        "div",
        { class: "channel-about" },
        el(
          "a",
          { class: "channel-name", href: `/rooms/${channel.id}/` },
          icon("hash"),
          el("span", { text: channel.name }),
        ),
        el("span", { class: "channel-meta", text: channel.is_member ? `${members} · Joined` : members }),
        channel.topic ? el("p", { class: "channel-topic", text: channel.topic }) : null,
      ),
      button,
    );
  };

  const load = async () => {
    controller?.abort();
    controller = new AbortController();
    const query = input.value.trim();
    try {
      const data = await listChannels(query, { signal: controller.signal });
      list.replaceChildren(...data.channels.map(item));
      setMessage(
        status,
        data.channels.length
          ? ""
          : query
            ? `No public channel matches “${query}”.`
            : "There are no public channels yet. Create the first one.",
      );
    } catch (error) {
      if (error.name !== "AbortError") setMessage(status, error.message);
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 150);
  });
  load();
}
