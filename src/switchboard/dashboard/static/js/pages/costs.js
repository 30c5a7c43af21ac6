// Costs: spend per day and per agent against the team's daily limit, as bar charts.

import { api } from "../api.js";
import { debounce, empty, h, money, replace, svg } from "../dom.js";

const DAYS = 14;
const CHART_H = 180;
const BAR_W = 34;
const LEFT = 54;

export async function render(view) {
  const draw = async () => {
    const [period, today] = await Promise.all([
      api(`/teams/${view.teamId}/usage/summary?days=${DAYS}`),
      api(`/teams/${view.teamId}/usage/summary?days=1`),
    ]);
    if (!view.current()) return;
    const limit = period.today.daily_cost_limit_usd;
    const days = lastDays(period.by_day, DAYS);
    replace(view.main, h("h1", {}, `${view.team.name}: costs`),
      h("div", { class: "panel" },
        h("div", { class: "big" }, money(period.today.cost_usd), h("span", { class: "muted" }, limit !== null ? ` of ${money(limit)} today` : " today, no daily limit")),
        h("div", { class: "muted" }, `${money(period.totals.cost_usd)} in the last ${DAYS} days · ${period.totals.tokens_in.toLocaleString()} tokens in, ${period.totals.tokens_out.toLocaleString()} out`)),
      h("section", { class: "panel" }, h("h2", {}, "Per day"),
        barChart(days.map((d) => [d.date.slice(5), d.cost_usd]), limit, "Cost per day")),
      h("section", { class: "panel" }, h("h2", {}, "Per agent today"),
        today.by_agent.length ? agentChart(today.by_agent, limit) : empty("Nothing spent today.")),
      h("section", { class: "panel" }, h("h2", {}, `Per model, last ${DAYS} days`),
        period.by_model.length ? h("table", {}, h("tr", {}, ["Model", "Cost", "Tokens in", "Tokens out"].map((c) => h("th", {}, c))),
          period.by_model.map((m) => h("tr", {}, h("td", {}, m.model || "unknown"), h("td", {}, money(m.cost_usd)),
            h("td", {}, m.tokens_in.toLocaleString()), h("td", {}, m.tokens_out.toLocaleString())))) : empty("No usage yet.")));
  };
  await draw();
  const redraw = debounce(draw, 500);
  view.on((event) => {
    if (event.kind === "usage_reported" || event.kind === "completed") redraw();
  });
}

function lastDays(byDay, count) {
  const known = new Map(byDay.map((d) => [d.date, d]));
  const days = [];
  for (let i = count - 1; i >= 0; i--) {
    const date = new Date(Date.now() - i * 86400 * 1000).toISOString().slice(0, 10);
    days.push(known.get(date) || { date, cost_usd: 0 });
  }
  return days;
}

/** Bars for [label, dollars] pairs, with the daily limit as a dashed line when there is one. */
function barChart(rows, limit, title) {
  const top = Math.max(limit || 0, ...rows.map(([, v]) => v), 0.01) * 1.1;
  const width = LEFT + rows.length * (BAR_W + 10) + 10;
  const y = (value) => 10 + CHART_H - (value / top) * CHART_H;
  const bars = rows.map(([label, value], i) => {
    const x = LEFT + i * (BAR_W + 10);
    return svg("g", {},
      svg("rect", { class: `bar${limit !== null && value > limit ? " over" : ""}`, x, y: y(value), width: BAR_W, height: Math.max(0, y(0) - y(value)) },
        svg("title", {}, `${label}: ${money(value)}`)),
      svg("text", { x: x + BAR_W / 2, y: CHART_H + 26, "text-anchor": "middle" }, String(label).slice(0, 8)));
  });
  const highest = top / 1.1;
  const scale = limit === null || Math.abs(y(highest) - y(limit)) > 14 ? svg("text", { x: 2, y: y(highest) + 4 }, money(highest)) : null;
  return h("div", { class: "table-wrap" }, svg("svg", { class: "chart", width, height: CHART_H + 36, role: "img", "aria-label": title },
    svg("line", { class: "axis", x1: LEFT - 4, x2: width, y1: y(0), y2: y(0) }), scale, bars, limitLine(limit, y, LEFT - 4, width)));
}

/** Today's spend of each agent as a bar against the team's daily limit, the full width being the larger. */
function agentChart(agents, limit) {
  const width = 560;
  const row = 26;
  const barLeft = 120;
  const top = Math.max(limit || 0, ...agents.map((a) => a.cost_usd), 0.01);
  const x = (value) => barLeft + (value / top) * (width - barLeft - 80);
  const rows = agents.map((agent, i) => svg("g", {},
    svg("text", { x: 0, y: 24 + i * row + 13 }, agent.agent || "people"),
    svg("rect", { class: `bar${limit !== null && agent.cost_usd > limit ? " over" : ""}`, x: barLeft, y: 24 + i * row, height: 18, width: Math.max(1, x(agent.cost_usd) - barLeft) }),
    svg("text", { x: x(agent.cost_usd) + 6, y: 24 + i * row + 13 }, money(agent.cost_usd))));
  const height = 24 + agents.length * row + 6;
  const line = limit === null ? null : [
    svg("line", { class: "limit", x1: x(limit), x2: x(limit), y1: 16, y2: height }),
    svg("text", { x: x(limit), y: 12, "text-anchor": "middle" }, `daily limit ${money(limit)}`)];
  return h("div", { class: "table-wrap" }, svg("svg", { class: "chart", width, height, role: "img", "aria-label": "Cost per agent today" }, rows, line));
}

function limitLine(limit, y, from, to) {
  if (limit === null) return null;
  return [svg("line", { class: "limit", x1: from, x2: to, y1: y(limit), y2: y(limit) }),
    svg("text", { x: 2, y: y(limit) + 4 }, `limit ${money(limit)}`)];
}
