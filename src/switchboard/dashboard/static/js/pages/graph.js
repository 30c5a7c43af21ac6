// Dependency graph: a team's open work (or one sprint) laid out in layers by dependency depth, drawn in SVG.

import { api } from "../api.js";
import { debounce, empty, h, replace, statusBadge, svg } from "../dom.js";

const NODE_W = 210;
const NODE_H = 34;
const GAP_X = 80;
const WRAP_GAP = 24;
const GAP_Y = 12;
const MARGIN = 16;
const TOP = 40; // room for edges that arc over the first row
// A layer taller than this wraps into several columns, so 200 independent tasks still fit a screen or two.
const PER_COLUMN = 24;
const TITLE_CHARS = 27;
const STATUSES = ["blocked", "ready", "claimed", "in_review", "done", "failed", "cancelled"];

export async function render(view) {
  const sprint = view.params.get("sprint") || "";
  const finished = view.params.get("finished") === "1";
  const sprints = (await api(`/teams/${view.teamId}/sprints`)).sprints;
  const area = h("div", { class: "graph-wrap" });
  const note = h("p", { class: "muted small" });
  const scope = h("select", { name: "scope" },
    h("option", { value: "" }, "Open work"),
    sprints.map((s) => h("option", { value: s.id, selected: String(s.id) === sprint }, `${s.key} ${s.project_name}`)));
  const withFinished = h("input", { type: "checkbox", name: "finished", checked: finished, disabled: Boolean(sprint) });
  const apply = () => view.setParams({ sprint: scope.value, finished: withFinished.checked && !scope.value ? "1" : "" });
  scope.addEventListener("change", apply);
  withFinished.addEventListener("change", apply);
  replace(view.main, h("h1", {}, `${view.team.name}: dependency graph`),
    h("div", { class: "toolbar" }, h("label", {}, "Show", scope),
      h("label", { class: "inline" }, withFinished, "finished tasks too"),
      h("span", { class: "spacer" }), h("div", { class: "legend" }, STATUSES.map(statusBadge))),
    note, area);

  const draw = async () => {
    const params = new URLSearchParams(Object.entries({ sprint_id: sprint, include_finished: finished ? "true" : "" }).filter(([, v]) => v));
    const graph = await api(`/teams/${view.teamId}/graph${params.size ? `?${params}` : ""}`);
    if (!view.current()) return;
    note.textContent = `${graph.nodes.length} tasks, ${graph.edges.length} dependencies${graph.truncated ? " (the oldest 2,000 tasks only)" : ""}. An arrow points from a task to the one waiting for it.`;
    replace(area, graph.nodes.length ? drawing(view.teamId, graph) : empty("Nothing to show: no open tasks."));
  };
  await draw();
  const redraw = debounce(draw, 400);
  view.on((event) => {
    if (event.task_id !== null && event.task_id !== undefined) redraw();
  });
}

function drawing(teamId, graph) {
  const place = layout(graph);
  const width = Math.max(...[...place.values()].map((p) => p.x)) + NODE_W + MARGIN;
  const height = Math.max(...[...place.values()].map((p) => p.y)) + NODE_H + MARGIN;
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    svg("path", { class: "arrow", d: "M 0 0 L 10 5 L 0 10 z" }));
  const edges = graph.edges.map(({ from, to }) => {
    const a = place.get(from);
    const b = place.get(to);
    const [x1, y1, x2, y2] = [a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2];
    const bend = Math.max(30, (x2 - x1) / 2);
    // An edge that skips a column arcs over it rather than running behind the tasks there.
    const lift = x2 - x1 > NODE_W + GAP_X && Math.abs(y2 - y1) < NODE_H ? NODE_H : 0;
    return svg("path", { class: "edge", "data-from": from, "data-to": to, "marker-end": "url(#arrow)",
      d: `M ${x1} ${y1} C ${x1 + bend} ${y1 - lift}, ${x2 - bend} ${y2 - lift}, ${x2} ${y2}` });
  });
  const nodes = graph.nodes.map((node) => {
    const { x, y } = place.get(node.id);
    const label = `#${node.id} ${node.title}`;
    const short = label.length > TITLE_CHARS ? `${label.slice(0, TITLE_CHARS - 1)}…` : label;
    const who = node.holder ? `, held by ${node.holder}` : "";
    return svg("a", { class: `node ${node.status}`, href: `#/teams/${teamId}/tasks/${node.id}`, "data-task-id": node.id,
      "aria-label": `${label}: ${node.status}${who}` },
      svg("title", {}, `${label}\n${node.status}${who}`),
      svg("rect", { x, y, width: NODE_W, height: NODE_H, rx: 6 }),
      svg("text", { x: x + 10, y: y + NODE_H / 2 + 4 }, short));
  });
  const drawn = svg("svg", { class: "graph", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Dependency graph of ${graph.nodes.length} tasks` }, svg("defs", {}, marker), edges, nodes);
  highlightOnHover(drawn, edges);
  return drawn;
}

/** Pointing at (or tabbing to) a task lights its own edges and dims the rest: a crowded graph stays readable. */
function highlightOnHover(drawn, edges) {
  const light = (event) => {
    const id = event.target.closest?.("a.node")?.dataset.taskId;
    drawn.classList.toggle("focused", Boolean(id));
    for (const edge of edges) edge.classList.toggle("lit", edge.dataset.from === id || edge.dataset.to === id);
  };
  for (const kind of ["mouseover", "focusin"]) drawn.addEventListener(kind, light);
  for (const kind of ["mouseleave", "focusout"]) drawn.addEventListener(kind, () => drawn.classList.remove("focused"));
}

/** Where each node goes: a column per depth (wrapped past PER_COLUMN), ordered to keep edges short. */
function layout(graph) {
  const layers = new Map();
  for (const node of graph.nodes) {
    if (!layers.has(node.depth)) layers.set(node.depth, []);
    layers.get(node.depth).push(node);
  }
  const deps = new Map(graph.nodes.map((n) => [n.id, []]));
  for (const { from, to } of graph.edges) deps.get(to).push(from);
  const place = new Map();
  let x = MARGIN;
  for (const depth of [...layers.keys()].sort((a, b) => a - b)) {
    const layer = layers.get(depth);
    // Barycentre ordering: a task sits near the middle of the tasks it waits for.
    const centre = (node) => {
      const ys = deps.get(node.id).map((d) => place.get(d)?.y).filter((y) => y !== undefined);
      return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Infinity;
    };
    layer.sort((a, b) => centre(a) - centre(b) || a.id - b.id);
    layer.forEach((node, index) => {
      const column = Math.floor(index / PER_COLUMN);
      place.set(node.id, { x: x + column * (NODE_W + WRAP_GAP), y: TOP + (index % PER_COLUMN) * (NODE_H + GAP_Y) });
    });
    x += Math.ceil(layer.length / PER_COLUMN) * (NODE_W + WRAP_GAP) - WRAP_GAP + GAP_X;
  }
  return place;
}
