// Board: the team's tasks in columns by status, filtered by agent, sprint, tag and priority, kept live.

import { api } from "../api.js";
import { debounce, h, priorityBadge, progressBar, replace } from "../dom.js";

const COLUMNS = [
  ["blocked", "Blocked", ["blocked"]],
  ["ready", "Ready", ["ready"]],
  ["claimed", "Claimed", ["claimed"]],
  ["in_review", "In review", ["in_review"]],
  ["done", "Done", ["done"]],
  ["ended", "Failed / cancelled", ["failed", "cancelled"]],
];
const FINISHED = new Set(["done", "failed", "cancelled"]);
const RANK = { critical: 0, high: 1, normal: 2, low: 3 };
// More tasks changed at once than this (a batch was created, say): load the board again instead of each task.
const BULK_CHANGES = 40;
const FILTERS = ["agent", "sprint", "tag", "priority"];
const REVIEWS_READ = 500;

export async function render(view) {
  const tasks = new Map();
  let counts = {};
  const load = async () => {
    const board = await api(`/teams/${view.teamId}/board`);
    tasks.clear();
    for (const task of board.tasks) tasks.set(task.id, task);
    counts = board.counts;
  };
  await load();
  if (!view.current()) return;

  const filters = Object.fromEntries(FILTERS.map((f) => [f, view.params.get(f) || ""]));
  const cards = new Map();
  // Who reviews each task in review, by task id; filled in after the first paint, then kept by the events.
  const reviewers = new Map();
  const columns = COLUMNS.map(([key, label, statuses]) => {
    const count = h("span", { class: "count" });
    const list = h("div", { class: "cards" });
    const element = h("section", { class: "column", "data-column": key, "aria-label": label },
      h("h2", {}, label, count), list);
    return { statuses, count, list, element };
  });

  const draw = () => {
    const shown = [...tasks.values()].filter((task) => matches(task, filters));
    for (const column of columns) {
      const inColumn = shown.filter((t) => column.statuses.includes(t.status)).sort(order);
      const total = column.statuses.reduce((sum, s) => sum + (counts[s] || 0), 0);
      column.count.textContent = anyFilter(filters) || inColumn.length === total
        ? String(inColumn.length) : `${inColumn.length} of ${total}`;
      column.list.replaceChildren(...inColumn.map((task) => cardOf(cards, view.teamId, task, reviewers.get(task.id))));
    }
  };

  const agentFilter = select("Agent", "agent", filters, filters.agent ? [[filters.agent, filters.agent]] : []);
  const sprintFilter = select("Sprint", "sprint", filters, filters.sprint ? [[filters.sprint, filters.sprint]] : []);
  const toolbar = h("div", { class: "toolbar" }, agentFilter, sprintFilter,
    select("Tag", "tag", filters, [...new Set([...tasks.values()].flatMap((t) => t.tags))].sort().map((t) => [t, t])),
    select("Priority", "priority", filters, ["critical", "high", "normal", "low"].map((p) => [p, p])),
    h("span", { class: "spacer" }),
    h("a", { class: "button ghost", href: `#/teams/${view.teamId}/graph` }, "Dependency graph"));
  toolbar.addEventListener("change", (event) => {
    filters[event.target.name] = event.target.value;
    const search = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
    history.replaceState(null, "", `#/teams/${view.teamId}/board${search.size ? `?${search}` : ""}`);
    draw();
  });
  replace(view.main, h("h1", {}, `${view.team.name}: board`), toolbar,
    h("div", { class: "board" }, columns.map((c) => c.element)));
  draw();
  requestAnimationFrame(() => setTimeout(() => performance.mark("board-painted")));
  // The agent and sprint filters and the reviewers fill in after the first paint: the cards come first.
  const [agents, sprints, pending] = await Promise.all([
    api(`/teams/${view.teamId}/agents`),
    api(`/teams/${view.teamId}/sprints`),
    api(`/teams/${view.teamId}/reviews?status=pending&limit=${REVIEWS_READ}`),
  ]);
  options(agentFilter, filters.agent, agents.agents.map((a) => [a.name, a.name]));
  options(sprintFilter, filters.sprint, sprints.sprints.map((s) => [String(s.id), `${s.key} ${s.project_name}`]));
  for (const review of pending.reviews) reviewers.set(review.task_id, review.reviewer);
  if (pending.reviews.length && view.current()) draw();

  const changed = new Set();
  const refresh = debounce(async () => {
    const ids = [...changed];
    changed.clear();
    if (ids.length > BULK_CHANGES) await load();
    else await Promise.all(ids.map((id) => reload(tasks, counts, id)));
    if (view.current()) draw();
  }, 100);
  view.on((event) => {
    if (event.task_id === null) return;
    if (event.kind === "review_requested") reviewers.set(event.task_id, event.data.reviewer);
    else if (event.kind === "review_submitted" || event.kind === "review_withdrawn") reviewers.delete(event.task_id);
    changed.add(event.task_id);
    refresh();
  });
}

async function reload(tasks, counts, id) {
  const before = tasks.get(id)?.status;
  let task = null;
  try {
    task = await api(`/tasks/${id}`);
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const after = task?.status;
  if (before !== after) {
    if (before) counts[before] = (counts[before] || 1) - 1;
    if (after) counts[after] = (counts[after] || 0) + 1;
  }
  if (task) tasks.set(id, task);
  else tasks.delete(id);
}

function matches(task, filters) {
  return (!filters.agent || task.target === filters.agent || task.holder === filters.agent)
    && (!filters.sprint || String(task.sprint_id) === filters.sprint)
    && (!filters.tag || task.tags.includes(filters.tag))
    && (!filters.priority || task.priority === filters.priority);
}

function anyFilter(filters) {
  return Object.values(filters).some(Boolean);
}

function order(a, b) {
  if (FINISHED.has(a.status) || FINISHED.has(b.status)) return (b.finished_at || "").localeCompare(a.finished_at || "");
  return RANK[a.priority] - RANK[b.priority] || a.id - b.id;
}

function select(label, name, filters, choices) {
  const element = h("select", { name });
  options(element, filters[name], choices);
  return h("label", {}, label, element);
}

function options(container, chosen, choices) {
  const element = container.querySelector("select") || container;
  replace(element, h("option", { value: "" }, "any"),
    choices.map(([value, text]) => h("option", { value, selected: value === chosen }, text)));
}

/** A card for the task, built again only when the task (or who reviews it) changed. */
function cardOf(cache, teamId, task, reviewer) {
  const cached = cache.get(task.id);
  if (cached && cached.stamp === task.updated_at && cached.status === task.status && cached.reviewer === reviewer) {
    return cached.element;
  }
  const who = task.holder ? `held by ${task.holder}` : task.target ? `for ${task.target}` : "anyone";
  const inReview = task.status === "in_review" && reviewer;
  const element = h("a", { class: `card ${task.status}`, href: `#/teams/${teamId}/tasks/${task.id}`, "data-task-id": task.id },
    h("div", { class: "title" }, h("span", { class: "id" }, `#${task.id} `), task.title),
    h("div", { class: "meta" }, priorityBadge(task.priority), h("span", { class: "muted" }, who),
      inReview ? h("span", { class: "muted" }, `review by ${reviewer}`) : null,
      task.tags.slice(0, 3).map((t) => h("span", { class: "badge" }, t))),
    task.status === "claimed" ? progressBar(task.progress) : null,
    task.current_action || task.blocked_reason
      ? h("div", { class: "action" }, task.current_action || task.blocked_reason) : null);
  cache.set(task.id, { stamp: task.updated_at, status: task.status, reviewer, element });
  return element;
}
