// Copy buttons of server-rendered pages: <button data-copy="ID"> copies the text of the element
// #ID and says so in the role="status" element next to it (the button's parent's). If the
// browser refuses, the text is selected so that it can be copied by hand.

async function copyFrom(button) {
  const node = document.getElementById(button.dataset.copy);
  const status = button.parentElement?.querySelector('[role="status"]');
  if (!node) return;
  const say = (text) => {
    if (status) status.textContent = text;
  };
  try {
    await navigator.clipboard.writeText(node.textContent.trim());
    say("Copied to the clipboard.");
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say("This browser blocked copying. The text is selected: press Ctrl+C (⌘C on a Mac).");
  }
}

/** Wire every [data-copy] button under ``root``. */
export function initCopyButtons(root = document) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", () => copyFrom(button));
  }
}
