// My Account -> Notifications (templates/chat/notifications.html): the one place that asks the
// browser for the permission to show desktop notifications, and only when the button is
// pressed (never on page load). The defaults and the sound are a plain form.

const TEXTS = {
  unsupported: "This browser cannot show desktop notifications.",
  granted: "Desktop notifications are on in this browser.",
  denied:
    "This browser blocks notifications from Keyroom. Allow them in the browser's site settings, then reload this page.",
  default:
    "Desktop notifications are off in this browser. Turn them on to hear about new messages while Keyroom is in the background.",
};

/** Wire the permission button if this page has it. */
export function initNotificationSettings() {
  const button = document.getElementById("notify-enable");
  const status = document.getElementById("notify-permission");
  if (!button || !status) return;
  const supported = typeof Notification !== "undefined";
  const show = () => {
    const state = supported ? Notification.permission : "unsupported";
    status.textContent = TEXTS[state] || TEXTS.default;
    button.hidden = state !== "default";
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await Notification.requestPermission();
    } finally {
      button.disabled = false;
      show();
      if (button.hidden) status.focus?.();
    }
  });
  show();
}
