// Building elements without HTML strings: every text an agent wrote goes in as a text node, never as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h("a", {href: "#", class: "card"}, "text", otherElement). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, as h() builds HTML ones. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function replace(parent, ...children) {
  parent.replaceChildren();
  return build(parent, {}, children);
}

export function statusBadge(status) {
  return h("span", { class: `badge status ${status}` }, status.replace("_", " "));
}

export function priorityBadge(priority) {
  return priority === "normal" ? null : h("span", { class: `badge prio-${priority}` }, priority);
}

export function progressBar(percent) {
  if (percent === null || percent === undefined) return null;
  const fill = h("span");
  fill.style.width = `${Math.max(0, Math.min(100, percent))}%`;
  return h("div", { class: "progress", role: "progressbar", "aria-valuenow": percent, "aria-valuemin": 0,
    "aria-valuemax": 100, "aria-label": "progress" }, fill);
}

const UNITS = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];

/** "3m ago", with the exact time as the tooltip. */
export function ago(iso) {
  if (!iso) return null;
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  const [unit, size] = UNITS.find(([, size]) => seconds >= size) || ["s", 1];
  return h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, `${Math.floor(seconds / size)}${unit} ago`);
}

export function money(value) {
  return value === null || value === undefined ? "–" : `$${Number(value).toFixed(value >= 100 ? 0 : 2)}`;
}

export function taskLink(teamId, id, title) {
  return h("a", { href: `#/teams/${teamId}/tasks/${id}` }, title ? `#${id} ${title}` : `#${id}`);
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}

/** Calls `fn` once, `wait` ms after the last of a burst of calls. */
export function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}
