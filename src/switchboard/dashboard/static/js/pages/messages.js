// Messages: the team's threads and multicasts, filtered by agent and type; a person can send one.

import { api, post, query } from "../api.js";
import { ago, debounce, empty, h, replace } from "../dom.js";

const TYPES = ["STATUS", "DIRECTIVE", "QUESTION", "RESULT", "ACK", "PING", "PONG", "QUERY", "HANDSHAKE"];
const PAGE = 250;
const PAGES_READ = 4;
const DAYS_SHOWN = 7;

export async function render(view) {
  const filters = { agent: view.params.get("agent") || "", type: view.params.get("type") || "" };
  const [agents, groups] = await Promise.all([api(`/teams/${view.teamId}/agents`), api(`/teams/${view.teamId}/groups`)]);
  const threads = h("div", {});
  const toolbar = h("div", { class: "toolbar" },
    h("label", {}, "Agent", h("select", { name: "agent" }, h("option", { value: "" }, "anyone"),
      agents.agents.map((a) => h("option", { value: a.name, selected: a.name === filters.agent }, a.name)))),
    h("label", {}, "Type", h("select", { name: "type" }, h("option", { value: "" }, "any"),
      TYPES.map((t) => h("option", { value: t, selected: t === filters.type }, t)))));
  toolbar.addEventListener("change", (event) => {
    filters[event.target.name] = event.target.value;
    view.setParams(filters);
  });
  if (!view.current()) return;
  const draw = async () => {
    const found = await load(view.teamId, filters);
    if (view.current()) replace(threads, found.length ? threadsOf(found) : empty(`No messages in the last ${DAYS_SHOWN} days.`));
  };
  const redraw = debounce(draw, 250);
  // The person's own message shows at once, without waiting for the event stream to bring it.
  replace(view.main, h("h1", {}, `${view.team.name}: messages`),
    h("div", { class: "grid2" }, h("div", {}, toolbar, threads), sendForm(view, agents.agents, groups.groups, redraw)));
  await draw();
  view.on((event) => {
    if (event.kind === "message_sent") redraw();
  });
}

async function load(teamId, filters) {
  const since = new Date(Date.now() - DAYS_SHOWN * 86400 * 1000).toISOString();
  const found = [];
  let after = null;
  for (let page = 0; page < PAGES_READ; page++) {
    const answer = await api(`/teams/${teamId}/messages${query({ since, limit: PAGE, after_id: after, peer: filters.agent, message_type: filters.type })}`);
    found.push(...answer.messages);
    after = answer.next_cursor;
    if (after === null) break;
  }
  return found;
}

function threadsOf(messages) {
  const threads = new Map();
  for (const message of messages) {
    const key = message.thread_id || message.id;
    if (!threads.has(key)) threads.set(key, []);
    threads.get(key).push(message);
  }
  const newestFirst = [...threads.values()].sort((a, b) => b.at(-1).id - a.at(-1).id);
  return newestFirst.map((thread) => h("div", { class: "thread panel" },
    thread.length > 1 ? h("div", { class: "muted small" }, `thread of ${thread.length}`) : null,
    thread.map(messageView)));
}

function messageView(message) {
  const to = message.target_kind === "agent" ? message.target : `${message.target} (${message.recipients} recipients)`;
  return h("div", { class: "message", "data-message-id": message.id },
    h("div", { class: "head" }, h("strong", {}, message.sender), "→", h("span", {}, to || "nobody"),
      h("span", { class: "badge" }, message.message_type),
      message.priority !== "normal" ? h("span", { class: `badge prio-${message.priority}` }, message.priority) : null,
      ago(message.created_at)),
    h("div", { class: "body" }, message.body));
}

function sendForm(view, agents, groups, sent) {
  const targets = [...agents.map((a) => a.name), ...groups.map((g) => g.name),
    ...new Set(agents.map((a) => `@${a.role}`)), "all"];
  const status = h("p", { role: "status" });
  const form = h("form", { class: "panel", "aria-label": "Send a message" },
    h("h2", {}, "Send a message"),
    h("div", { class: "form-row" },
      h("label", {}, "To", h("input", { name: "target", list: "message-targets", required: true, placeholder: "agent, group, @role or all" })),
      h("datalist", { id: "message-targets" }, [...new Set(targets)].map((t) => h("option", { value: t })))),
    h("div", { class: "form-row" },
      h("label", {}, "Type", h("select", { name: "message_type" }, TYPES.map((t) => h("option", { value: t, selected: t === "DIRECTIVE" }, t)))),
      h("label", {}, "Priority", h("select", { name: "priority" }, ["low", "normal", "high"].map((p) => h("option", { value: p, selected: p === "normal" }, p))))),
    h("label", {}, "Message", h("textarea", { name: "message", required: true, rows: 4 })),
    h("p", {}, h("button", { type: "submit" }, "Send")), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    try {
      const answer = await post(`/teams/${view.teamId}/messages`, fields);
      form.elements.message.value = "";
      status.className = "muted";
      status.textContent = `Sent to ${answer.recipients} recipient${answer.recipients === 1 ? "" : "s"}.`;
      sent();
    } catch (error) {
      status.className = "error";
      status.textContent = error.message;
    }
  });
  return form;
}
