// Agents: status, role, current task, runner, recent turns and today's cost.

import { api } from "../api.js";
import { ago, debounce, empty, h, money, replace, taskLink } from "../dom.js";
import { turnFacts, turnStatusBadge } from "../turns.js";

const TURNS_SHOWN = 3;
// The team's latest turns, read at once; an agent with a runner whose turns are all older is asked for its own.
const TEAM_TURNS = 200;
const WATCHED = new Set(["claimed", "unclaimed", "completed", "lease_expired", "usage_reported", "session_updated",
  "cancelled", "turn_started", "turn_ended"]);

export async function render(view) {
  const draw = async () => {
    const [agents, claimed, today, turns] = await Promise.all([
      api(`/teams/${view.teamId}/agents`),
      api(`/teams/${view.teamId}/tasks?status=claimed&limit=500`),
      api(`/teams/${view.teamId}/usage/summary?days=1`),
      api(`/teams/${view.teamId}/turns?limit=${TEAM_TURNS}`),
    ]);
    const turnsOf = await filledIn(turns.turns, agents.agents);
    if (!view.current()) return;
    const holding = new Map();
    for (const task of claimed.items) {
      if (!holding.has(task.holder)) holding.set(task.holder, []);
      holding.get(task.holder).push(task);
    }
    const cost = new Map(today.by_agent.map((a) => [a.agent, a.cost_usd]));
    const rows = agents.agents.map((agent) => h("tr", { "data-agent": agent.name },
      h("td", {}, h("strong", {}, agent.name), agent.model ? h("div", { class: "muted small" }, agent.model) : null),
      h("td", {}, agent.role),
      h("td", {}, h("span", { class: `badge agent-${agent.status}` }, agent.status), h("div", { class: "muted small" }, agent.last_seen_at ? ["seen ", ago(agent.last_seen_at)] : "never seen")),
      h("td", {}, (holding.get(agent.name) || []).map((t) => h("div", {}, taskLink(view.teamId, t.id, t.title)))),
      h("td", { class: "runner" }, agent.runner ? h("span", { class: "badge" }, agent.runner) : h("span", { class: "muted" }, "pulls work")),
      h("td", { class: "turns" }, (turnsOf.get(agent.id) || []).map((turn) => turnLine(view.teamId, turn))),
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
    if (WATCHED.has(event.kind)) redraw();
  });
}

/** Each agent's latest turns, newest first: from the team's, and asked for where the team's may have missed some. */
async function filledIn(turns, agents) {
  const byAgent = new Map();
  for (const turn of turns) {
    if (!byAgent.has(turn.agent_id)) byAgent.set(turn.agent_id, []);
    const list = byAgent.get(turn.agent_id);
    if (list.length < TURNS_SHOWN) list.push(turn);
  }
  if (turns.length === TEAM_TURNS) {
    const short = agents.filter((a) => a.runner && (byAgent.get(a.id) || []).length < TURNS_SHOWN);
    await Promise.all(short.map(async (agent) => {
      const own = await api(`/teams/${agent.team_id}/turns?agent=${agent.id}&limit=${TURNS_SHOWN}`);
      byAgent.set(agent.id, own.turns);
    }));
  }
  return byAgent;
}

function turnLine(teamId, turn) {
  return h("div", { class: "turn-line small", "data-turn-id": turn.id }, turnStatusBadge(turn), " ", turnFacts(turn),
    turn.task_id ? [" · ", taskLink(teamId, turn.task_id)] : null);
}
