// The dashboard's frame: team picker, navigation, the live stream, notifications and the theme. Pages live in
// pages/*.js; each renders into <main> and may listen to the team's events until the person goes elsewhere.

import { api, query } from "./api.js";
import { debounce, h, replace } from "./dom.js";
import { TeamStream } from "./live.js";
import * as agents from "./pages/agents.js";
import * as board from "./pages/board.js";
import * as costs from "./pages/costs.js";
import * as graph from "./pages/graph.js";
import * as messages from "./pages/messages.js";
import * as questions from "./pages/questions.js";
import * as settings from "./pages/settings.js";
import * as sprints from "./pages/sprints.js";
import * as task from "./pages/task.js";

const PAGES = {
  board: ["Board", board],
  graph: ["Graph", graph],
  sprints: ["Sprints", sprints],
  agents: ["Agents", agents],
  messages: ["Messages", messages],
  questions: ["Questions", questions],
  costs: ["Costs", costs],
  settings: ["Settings & keys", settings],
};
const THEMES = ["auto", "light", "dark"];
const TOAST_MS = 12000;

const state = { teams: [], teamId: null, stream: null, listeners: [], seen: new Set(), pending: 0, counted: false };

function parseRoute() {
  const [path, search] = window.location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const teamId = parts[0] === "teams" ? Number(parts[1]) : null;
  let page = parts[2] || "board";
  let id = null;
  if (page === "tasks" && parts[3]) [page, id] = ["task", Number(parts[3])];
  return { teamId, page, id, params: new URLSearchParams(search || "") };
}

export function go(hash) {
  window.location.hash = hash;
}

async function boot() {
  applyTheme(localStorage.getItem("theme") || "auto");
  document.getElementById("theme").addEventListener("click", cycleTheme);
  // Following the team named in the address starts at once, beside finding the caller's teams.
  const named = parseRoute().teamId;
  const [teams] = await Promise.all([
    api("/whoami").then((me) => api(`/orgs/${me.org_id}/teams`)),
    named ? follow(named).catch(() => null) : null,
  ]);
  state.teams = teams.teams;
  const picker = document.getElementById("team");
  replace(picker, state.teams.map((t) => h("option", { value: t.id }, t.name)));
  picker.addEventListener("change", () => {
    const { page } = parseRoute();
    go(`#/teams/${picker.value}/${page === "task" ? "board" : page}`);
  });
  window.addEventListener("hashchange", show);
  await show();
}

async function show() {
  const route = parseRoute();
  const main = document.getElementById("main");
  if (!state.teams.length) {
    document.getElementById("live").textContent = "";
    replace(main, h("h1", {}, "No teams yet"),
      h("p", {}, "Create one with ", h("code", {}, "switchboard init --team NAME"), ", then reload."));
    return;
  }
  const known = state.teams.find((t) => t.id === route.teamId);
  if (!known || !(route.page in PAGES || route.page === "task")) {
    go(`#/teams/${(known || state.teams[0]).id}/board`);
    return;
  }
  if (state.teamId !== known.id) await follow(known.id).catch(() => onLiveState(false));
  document.getElementById("team").value = String(known.id);
  renderNav(route.page);
  const module = route.page === "task" ? task : PAGES[route.page][1];
  document.title = `${route.page === "task" ? `Task #${route.id}` : PAGES[route.page][0]} · ${known.name} · Switchboard`;
  // A page listens to events, and may still draw, only while it is the page shown.
  const listeners = [];
  state.listeners = listeners;
  const view = {
    main, team: known, teamId: known.id, id: route.id, params: route.params, go,
    on(fn) { listeners.push(fn); },
    current: () => state.listeners === listeners,
    setParams(params) { go(`#/teams/${known.id}/${route.page}${query(params)}`); },
  };
  replace(main, h("p", { class: "muted" }, "Loading…"));
  try {
    await module.render(view);
  } catch (error) {
    if (view.current()) replace(main, h("h1", {}, "Something went wrong"), h("p", { class: "error" }, error.message));
  }
  // The count of pending questions waits for the page's own reads: those are what the person is looking at.
  if (!state.counted) {
    state.counted = true;
    countPending().catch(() => {});
  }
}

function renderNav(page) {
  const links = Object.entries(PAGES).map(([name, [label]]) =>
    h("a", { href: `#/teams/${state.teamId}/${name}`, "aria-current": name === page ? "page" : null },
      label, name === "questions" && state.pending ? h("span", { class: "badge status claimed", id: "pending-count" }, state.pending) : null));
  replace(document.getElementById("nav"), links);
}

async function follow(teamId) {
  state.stream?.stop();
  state.teamId = teamId;
  state.stream = new TeamStream(teamId, onEvent, onLiveState);
  try {
    await state.stream.start();
  } catch (error) {
    state.teamId = null; // the next page shown tries again
    throw error;
  }
  state.counted = false;
}

function onEvent(event) {
  for (const listener of state.listeners) listener(event);
  if (event.kind === "alert") notifyAlert(event);
  if (event.kind === "question_asked") notifyQuestion(event);
  if (event.kind.startsWith("question_")) recount();
}

function onLiveState(connected) {
  const live = document.getElementById("live");
  live.className = `live ${connected ? "on" : "off"}`;
  live.textContent = connected ? "live" : "reconnecting…";
}

async function countPending() {
  const found = await api(`/teams/${state.teamId}/questions?status=pending&limit=500`);
  state.pending = found.questions.length;
  renderNav(parseRoute().page);
}

const recount = debounce(countPending, 300);

function notifyAlert(event) {
  const key = `alert:${event.data.alert_id}`;
  if (state.seen.has(key)) return;
  state.seen.add(key);
  const link = event.task_id ? h("a", { href: `#/teams/${state.teamId}/tasks/${event.task_id}` }, ` task #${event.task_id}`) : null;
  toast(event.data.priority, h("strong", {}, `Alert from ${event.actor}`), link, h("div", {}, event.data.message));
}

async function notifyQuestion(event) {
  const key = `question:${event.data.question_id}`;
  if (state.seen.has(key)) return;
  state.seen.add(key);
  const question = await api(`/questions/${event.data.question_id}`);
  toast("normal", h("strong", {}, `${event.actor} asks`), h("div", {}, question.question),
    h("a", { href: `#/teams/${state.teamId}/questions` }, "Answer it"));
}

function toast(priority, ...content) {
  const close = h("button", { type: "button", class: "ghost", "aria-label": "Dismiss" }, "×");
  const item = h("div", { class: `toast ${priority}`, role: "status" }, h("div", { class: "body" }, content), close);
  close.addEventListener("click", () => item.remove());
  document.getElementById("toasts").append(item);
  if (priority !== "critical" && priority !== "high") setTimeout(() => item.remove(), TOAST_MS);
}

function applyTheme(theme) {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  document.getElementById("theme").textContent = `Theme: ${theme}`;
  localStorage.setItem("theme", theme);
}

function cycleTheme() {
  const current = localStorage.getItem("theme") || "auto";
  applyTheme(THEMES[(THEMES.indexOf(current) + 1) % THEMES.length]);
}

boot().catch((error) => {
  replace(document.getElementById("main"), h("h1", {}, "The dashboard could not start"), h("p", { class: "error" }, error.message));
});
