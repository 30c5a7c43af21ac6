// Sprints: each sprint's waves side by side, its stories with status and progress, and the percent done.

import { api } from "../api.js";
import { debounce, empty, h, progressBar, replace, statusBadge } from "../dom.js";

const SPRINTS_SHOWN = 10;

export async function render(view) {
  const draw = async () => {
    const list = (await api(`/teams/${view.teamId}/sprints`)).sprints.slice(0, SPRINTS_SHOWN);
    const sprints = await Promise.all(list.map((s) => api(`/sprints/${s.id}`)));
    if (!view.current()) return;
    replace(view.main, h("h1", {}, `${view.team.name}: sprints`),
      sprints.length ? sprints.map((s) => sprintPanel(view.teamId, s)) : empty("No sprints yet."));
  };
  await draw();
  const redraw = debounce(draw, 300);
  view.on((event) => {
    if (event.task_id !== null || event.kind.startsWith("sprint")) redraw();
  });
}

function sprintPanel(teamId, sprint) {
  return h("section", { class: "panel", "data-sprint": sprint.id },
    h("div", { class: "sprint-head" },
      h("h2", {}, `${sprint.key} · ${sprint.project_name}`),
      h("span", { class: "pct" }, `${Math.round(sprint.percent_done)}%`),
      h("span", { class: "muted" }, `${sprint.done} of ${sprint.total} stories done`),
      sprint.branch ? h("code", {}, sprint.branch) : null,
      h("span", { class: "badge" }, sprint.status),
      h("a", { href: `#/teams/${teamId}/graph?sprint=${sprint.id}` }, "graph")),
    progressBar(sprint.percent_done),
    h("div", { class: "waves" }, sprint.waves.map((wave) => h("div", { class: "wave" },
      h("h3", {}, `Wave ${wave.wave}`, h("span", { class: "badge" }, wave.status)),
      wave.stories.map((story) => storyCard(teamId, story))))));
}

function storyCard(teamId, story) {
  return h("div", { class: "story" },
    h("div", { class: "row" },
      h("a", { href: `#/teams/${teamId}/tasks/${story.task_id}` }, `${story.story_id}: ${story.title}`),
      statusBadge(story.status)),
    story.holder ? h("div", { class: "muted small" }, `held by ${story.holder}`) : null,
    progressBar(story.progress),
    story.current_action ? h("div", { class: "muted small" }, story.current_action) : null);
}
