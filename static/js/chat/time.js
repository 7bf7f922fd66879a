// Dates as people read them, in the browser's locale and time zone.

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
});
const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const withYear = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function sameDay(a, b) {
  return a.toDateString() === b.toDateString();
}

/** Return a short time: "14:05" today, "Mar 3, 14:05" this year, else with the year. */
export function shortTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const now = new Date();
  if (sameDay(date, now)) return timeOnly.format(date);
  if (date.getFullYear() === now.getFullYear()) return dayAndTime.format(date);
  return withYear.format(date);
}

/** Return the full date and time (for tooltips). */
export function fullTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : full.format(date);
}

/** Rewrite server-rendered <time data-local-time datetime="..."> in local time. */
export function localizeTimes(root = document) {
  for (const node of root.querySelectorAll("time[data-local-time]")) {
    const iso = node.getAttribute("datetime");
    const text = shortTime(iso);
    if (text) {
      node.textContent = text;
      node.title = fullTime(iso);
    }
  }
}
