// Agents: status, role, current task, runner, recent turns and today's cost.

import { api, optional } from "../api.js";
import { ago, debounce, empty, h, money, replace, taskLink } from "../dom.js";
import { listOf } from "./task.js";

const TURNS_SHOWN = 3;
const WATCHED = new Set(["claimed", "unclaimed", "completed", "lease_expired", "usage_reported", "session_updated", "cancelled"]);

export async function render(view) {
  const draw = async () => {
    const [agents, claimed, today, turns] = await Promise.all([
      api(`/teams/${view.teamId}/agents`),
      api(`/teams/${view.teamId}/tasks?status=claimed&limit=500`),
      api(`/teams/${view.teamId}/usage/summary?days=1`),
      optional(`/teams/${view.teamId}/turns?limit=100`),
    ]);
    if (!view.current()) return;
    const holding = new Map();
    for (const task of claimed.items) {
      if (!holding.has(task.holder)) holding.set(task.holder, []);
      holding.get(task.holder).push(task);
    }
    const cost = new Map(today.by_agent.map((a) => [a.agent, a.cost_usd]));
    const turnsOf = (agent) => listOf(turns, "turns").filter((t) => t.agent_id === agent.id || t.agent === agent.name).slice(0, TURNS_SHOWN);
    const rows = agents.agents.map((agent) => h("tr", { "data-agent": agent.name },
      h("td", {}, h("strong", {}, agent.name), agent.model ? h("div", { class: "muted small" }, agent.model) : null),
      h("td", {}, agent.role),
      h("td", {}, h("span", { class: `badge agent-${agent.status}` }, agent.status), h("div", { class: "muted small" }, agent.last_seen_at ? ["seen ", ago(agent.last_seen_at)] : "never seen")),
      h("td", {}, (holding.get(agent.name) || []).map((t) => h("div", {}, taskLink(view.teamId, t.id, t.title)))),
      h("td", {}, agent.runner || h("span", { class: "muted" }, "pulls work")),
      h("td", {}, turnsOf(agent).map((t) => h("div", { class: "small" }, `${t.status}${t.exit_code !== null && t.exit_code !== undefined ? ` (exit ${t.exit_code})` : ""} `, ago(t.started_at)))),
      h("td", {}, money(cost.get(agent.name) || 0))));
    replace(view.main, h("h1", {}, `${view.team.name}: agents`),
      rows.length ? h("div", { class: "panel table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Agent", "Role", "Status", "Current task", "Runner", "Recent turns", "Today"].map((c) => h("th", {}, c)))),
        h("tbody", {}, rows))) : empty("No agents yet."),
      h("p", { class: "muted small" }, `Today the team spent ${money(today.today.cost_usd)}`,
        today.today.daily_cost_limit_usd !== null ? ` of its ${money(today.today.daily_cost_limit_usd)} daily limit.` : " (no daily limit)."));
  };
  await draw();
  const redraw = debounce(draw, 400);
  view.on((event) => {
    if (WATCHED.has(event.kind) || event.kind.startsWith("turn")) redraw();
  });
}
