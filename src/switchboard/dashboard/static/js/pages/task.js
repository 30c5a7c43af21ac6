// Task: instructions, dependencies both ways, the timeline, turns, the worktree's diff, result and usage.

import { api, post } from "../api.js";
import { ago, debounce, empty, h, money, priorityBadge, progressBar, replace, statusBadge, taskLink } from "../dom.js";
import { turnFacts, turnStatusBadge } from "../turns.js";

const LINKED_SHOWN = 25;
const DIFF_LINES_SHOWN = 4000;

export async function render(view) {
  // Which turns' output the person opened or closed, kept across redraws; untouched, only the newest is open.
  const opened = new Map();
  const draw = async () => {
    const parts = await load(view);
    if (view.current()) replace(view.main, layout(view, parts, opened));
  };
  await draw();
  const redraw = debounce(draw, 200);
  view.on((event) => {
    if (event.task_id === view.id) redraw();
  });
}

async function load(view) {
  const id = view.id;
  const task = await api(`/tasks/${id}`);
  const [events, turns, reviews, diff, dependencies, dependents] = await Promise.all([
    api(`/tasks/${id}/events`),
    api(`/tasks/${id}/turns`),
    api(`/tasks/${id}/reviews`),
    api(`/tasks/${id}/diff`).catch(() => null),
    linked(task.depends_on),
    linked(task.dependents),
  ]);
  return { task, events: events.events, turns: turns.turns, reviews: reviews.reviews, diff, dependencies, dependents };
}

async function linked(ids) {
  const shown = await Promise.all(ids.slice(0, LINKED_SHOWN).map((id) => api(`/tasks/${id}`).catch(() => ({ id }))));
  return [...shown, ...ids.slice(LINKED_SHOWN).map((id) => ({ id }))];
}

function layout(view, { task, events, turns, reviews, diff, dependencies, dependents }, opened) {
  const teamId = view.teamId;
  return h("div", {},
    h("p", {}, h("a", { href: `#/teams/${teamId}/board` }, "← Board")),
    h("h1", {}, `#${task.id} ${task.title} `, statusBadge(task.status), " ", priorityBadge(task.priority)),
    h("div", { class: "grid2" },
      h("div", {},
        section("Instructions", task.instructions ? h("pre", { class: "text" }, task.instructions) : empty("No instructions.")),
        task.result ? section("Result", h("pre", { class: "text" }, task.result)) : null,
        reviews.length ? section("Reviews", reviewList(reviews)) : null,
        turns.length ? section("Turns", turnList(turns, opened)) : null,
        diff ? section("Worktree diff", diffView(diff)) : null,
        section("Timeline", timeline(events))),
      h("div", {},
        section("Details", facts(task)),
        section("Depends on", linkList(teamId, dependencies, "No dependencies.")),
        section("Needed by", linkList(teamId, dependents, "No task waits for this one.")),
        task.subtasks ? section(`Sub-tasks (${task.subtask_progress.percent_done}% done)`, linkList(teamId, task.subtasks, "")) : null,
        section("Steer", actions(view, task)))));
}

function section(title, ...content) {
  return h("section", { class: "panel" }, h("h2", {}, title), content);
}

function facts(task) {
  const rows = [
    ["Status", statusBadge(task.status)],
    ["For", task.target || "anyone"],
    ["Held by", task.holder],
    ["Attempt", task.attempt ? `${task.attempt} of ${task.max_attempts}` : null],
    ["Progress", task.progress !== null ? [`${task.progress}%`, progressBar(task.progress)] : null],
    ["Doing", task.current_action],
    ["Blocked", task.blocked_reason],
    ["Tags", task.tags.length ? task.tags.join(", ") : null],
    ["Sprint", task.sprint_id ? `sprint-${task.sprint_id} · story ${task.story_id}` : null],
    ["Worktree", task.worktree],
    ["Created", [ago(task.created_at), ` by ${task.created_by}`]],
    ["Finished", task.finished_at ? [ago(task.finished_at), task.completed_status ? ` (${task.completed_status})` : ""] : null],
    ["Usage", `${task.usage.tokens_in.toLocaleString()} in · ${task.usage.tokens_out.toLocaleString()} out · ${money(task.usage.cost_usd)}${task.usage.model ? ` · ${task.usage.model}` : ""}`],
  ];
  return h("dl", { class: "facts" }, rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

function linkList(teamId, tasks, none) {
  if (!tasks.length) return none ? empty(none) : null;
  return h("ul", { class: "linked" }, tasks.map((t) => h("li", {}, taskLink(teamId, t.id, t.title), " ",
    t.status ? statusBadge(t.status) : null)));
}

function timeline(events) {
  if (!events.length) return empty("No events yet.");
  return h("ol", { class: "timeline" }, events.map((e) => h("li", {},
    h("strong", {}, e.kind.replaceAll("_", " ")), ` by ${e.actor} `, ago(e.at),
    Object.keys(e.data).length ? h("div", { class: "muted small mono" }, summary(e.data)) : null)));
}

function summary(data) {
  return Object.entries(data).filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ");
}

function turnList(turns, opened) {
  // Newest first, as the hub answers.
  return turns.map((turn, index) => {
    // A click on the summary (or Enter on it) is the person's choice; the toggle event also fires on drawing.
    const summary = h("summary", { onclick: () => opened.set(turn.id, !item.open) },
      h("strong", {}, `Turn ${turn.id}`), ` by ${turn.agent} `, turnStatusBadge(turn), " ",
      h("span", { class: "muted small" }, turnFacts(turn)));
    const item = h("details", { class: "turn", "data-turn-id": turn.id, open: opened.get(turn.id) ?? index === 0 },
      summary,
      turn.error ? h("p", { class: "error" }, turn.error) : null,
      turn.output_tail ? h("pre", { class: "text output" }, turn.output_tail)
        : empty(turn.status === "running" ? "Running; its output shows when it ends." : "No output."));
    return item;
  });
}

const REVIEW_STATUS = { pending: "waiting for a verdict", approved: "approved", changes_requested: "changes requested",
  rejected: "rejected", withdrawn: "withdrawn" };

function reviewList(reviews) {
  return reviews.map((review) => h("div", { class: "message review", "data-review-id": review.id },
    h("div", { class: "head" }, h("span", { class: `badge verdict ${review.status}` }, REVIEW_STATUS[review.status]),
      h("span", {}, `${review.requested_by} asked `, h("strong", {}, review.reviewer || "nobody"), " ", ago(review.created_at))),
    review.request_summary ? h("div", { class: "body muted" }, review.request_summary) : null,
    review.decided_at ? h("div", { class: "verdict-text" },
      h("div", { class: "head" }, h("strong", {}, review.decided_by), " ", ago(review.decided_at)),
      review.verdict_summary ? h("div", { class: "body" }, review.verdict_summary) : null,
      review.comments.length ? h("ul", { class: "comments" }, review.comments.map(commentItem)) : null) : null));
}

/** A review comment: a string, or an object that may say where (`file`, `line`) beside its `body`. */
function commentItem(comment) {
  if (typeof comment === "string") return h("li", {}, comment);
  const place = ["file", "line"].map((k) => comment[k]).filter((v) => v !== null && v !== undefined && v !== "").join(":");
  const body = typeof comment.body === "string" ? comment.body : JSON.stringify(comment);
  return h("li", {}, place ? [h("span", { class: "mono" }, place), " "] : null, body);
}

function diffView(diff) {
  const files = h("ul", {}, diff.changed_files.map((f) => h("li", { class: "mono" }, `${f.status} ${f.path}`)));
  if (!diff.diff) return diff.changed_files.length ? files : empty("No changes yet.");
  const lines = diff.diff.split("\n");
  const patch = h("pre", { class: "text diff" }, lines.slice(0, DIFF_LINES_SHOWN).map((line) =>
    h("span", { class: line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : null }, `${line}\n`)));
  const cut = diff.truncated || lines.length > DIFF_LINES_SHOWN;
  return [files, patch, cut ? h("p", { class: "muted small" }, "The diff is cut here.") : null];
}

function actions(view, task) {
  const message = h("p", { class: "error", role: "alert" });
  const act = (label, path, body, kind = "ghost") => h("button", { type: "button", class: kind, onclick: async () => {
    try {
      await post(path, body);
      message.textContent = "";
    } catch (error) {
      message.textContent = error.message;
    }
  } }, label);
  const open = !["done", "failed", "cancelled"].includes(task.status);
  return [
    open ? act("Cancel task", `/tasks/${task.id}/cancel`, { reason: "cancelled from the dashboard" }, "danger") : null,
    open ? " " : null,
    open ? act("Cancel with dependents", `/tasks/${task.id}/cancel`, { cascade: true, reason: "cancelled from the dashboard" }) : null,
    ["failed", "cancelled"].includes(task.status) ? act("Retry", `/tasks/${task.id}/retry`) : null,
    message,
  ];
}
