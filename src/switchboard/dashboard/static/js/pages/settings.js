// Settings and keys: the team's limits; agent keys created (plaintext shown once, with its .mcp.json) and revoked.

import { api, patch, post } from "../api.js";
import { ago, empty, h, replace } from "../dom.js";

const NUMBERS = [
  ["daily_cost_limit_usd", "Daily cost limit (USD)", "0.01", true],
  ["max_concurrent_agents", "Max concurrent agents", "1", true],
  ["lease_seconds", "Lease (seconds)", "1", false],
  ["max_attempts", "Max attempts", "1", false],
  ["offline_after_seconds", "Offline after (seconds)", "1", false],
  ["session_timeout_seconds", "Session timeout (seconds)", "1", false],
];
const ROLES = ["engineer", "reviewer", "manager"];

export async function render(view) {
  const [team, agents] = await Promise.all([api(`/settings/teams/${view.teamId}`), api(`/teams/${view.teamId}/agents`)]);
  if (!view.current()) return;
  const keys = h("div", {});
  const secret = h("div", { "aria-live": "polite" });
  const showKeys = async () => {
    const [found, named] = await Promise.all([api(`/teams/${view.teamId}/keys`), api(`/teams/${view.teamId}/agents`)]);
    if (view.current()) replace(keys, keyTable(found.keys, named.agents, showKeys));
  };
  replace(view.main, h("h1", {}, `${view.team.name}: settings and keys`),
    h("div", { class: "grid2" },
      h("div", {}, secret, newKeyForm(view, agents.agents, secret, showKeys), h("section", { class: "panel" }, h("h2", {}, "Agent keys"), keys)),
      settingsForm(view, team.settings)));
  await showKeys();
}

function settingsForm(view, settings) {
  const status = h("p", { role: "status" });
  const form = h("form", { class: "panel", "aria-label": "Team limits" }, h("h2", {}, "Limits"),
    NUMBERS.map(([name, label, step, nullable]) => h("div", { class: "form-row" }, h("label", {}, label,
      h("input", { name, type: "number", min: 0, step, value: settings[name] ?? "", placeholder: nullable ? "none" : "" })))),
    h("div", { class: "form-row" }, h("label", {}, "Default model", h("input", { name: "default_model", value: settings.default_model ?? "", placeholder: "none" }))),
    h("div", { class: "form-row" }, h("label", { class: "inline" },
      h("input", { name: "managers_answer_questions", type: "checkbox", checked: settings.managers_answer_questions }),
      "Managers may answer agents' questions")),
    h("p", {}, h("button", { type: "submit" }, "Save limits")), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = { managers_answer_questions: form.elements.managers_answer_questions.checked };
    for (const [name, , , nullable] of NUMBERS) {
      const raw = form.elements[name].value.trim();
      if (raw !== "") changes[name] = Number(raw);
      else if (nullable) changes[name] = null;
    }
    changes.default_model = form.elements.default_model.value.trim() || null;
    try {
      await patch(`/settings/teams/${view.teamId}`, changes);
      status.className = "muted";
      status.textContent = "Saved.";
    } catch (error) {
      status.className = "error";
      status.textContent = error.message;
    }
  });
  return form;
}

function newKeyForm(view, agents, secret, showKeys) {
  const status = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "panel", "aria-label": "Create an agent key" }, h("h2", {}, "Create an agent key"),
    h("div", { class: "form-row" },
      h("label", {}, "Agent", h("input", { name: "agent", list: "agent-names", required: true, placeholder: "builder" })),
      h("datalist", { id: "agent-names" }, agents.map((a) => h("option", { value: a.name }))),
      h("label", {}, "Role, for a new agent", h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r }, r)))),
      h("label", {}, "Label", h("input", { name: "label", placeholder: "optional" }))),
    h("p", {}, h("button", { type: "submit" }, "Create key")), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.agent.value.trim();
    const exists = agents.some((a) => a.name === name);
    const body = { program_id: name, label: form.elements.label.value.trim() || null };
    if (!exists) body.role = form.elements.role.value;
    try {
      const issued = await post(`/teams/${view.teamId}/keys`, body);
      status.textContent = "";
      form.reset();
      replace(secret, secretPanel(issued, () => secret.replaceChildren()));
      if (!exists) agents.push(issued.agent);
      await showKeys();
    } catch (error) {
      status.textContent = error.message;
    }
  });
  return form;
}

/** The new key's plaintext, shown here once and kept nowhere else: dismissing the panel forgets it. */
function secretPanel(issued, dismiss) {
  const config = JSON.stringify({
    mcpServers: { switchboard: { url: `${window.location.origin}/mcp`, headers: { Authorization: `Bearer ${issued.key}` } } },
  }, null, 2);
  return h("section", { class: "panel secret", "data-secret": "" },
    h("h2", {}, `Key for ${issued.program_id}: copy it now, it is shown only once`),
    h("pre", { class: "text", id: "new-key" }, issued.key), copyButton(issued.key, "Copy key"),
    h("h3", {}, ".mcp.json"),
    h("pre", { class: "text", id: "new-mcp-json" }, config), copyButton(config, "Copy .mcp.json"),
    h("p", {}, h("button", { type: "button", onclick: dismiss }, "Done, I stored it")));
}

function copyButton(text, label) {
  const button = h("button", { type: "button", class: "ghost" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select the text and copy it";
    }
  });
  return [" ", button];
}

function keyTable(keys, agents, showKeys) {
  if (!keys.length) return empty("No agent keys yet.");
  const names = new Map(agents.map((a) => [a.id, a.name]));
  return h("div", { class: "table-wrap" }, h("table", {},
    h("tr", {}, ["Agent", "Label", "Key", "Created", "Last used", ""].map((c) => h("th", {}, c))),
    keys.map((key) => h("tr", { "data-key-id": key.id },
      h("td", {}, names.get(key.agent_id) || `agent ${key.agent_id}`),
      h("td", {}, key.label),
      h("td", { class: "mono" }, `${key.prefix}…`),
      h("td", {}, ago(key.created_at)),
      h("td", {}, key.last_used_at ? ago(key.last_used_at) : "never"),
      h("td", {}, key.revoked_at ? h("span", { class: "muted" }, "revoked") : revokeButton(key, showKeys))))));
}

function revokeButton(key, showKeys) {
  // Two steps, so a stray click or keypress never revokes a key.
  const button = h("button", { type: "button", class: "ghost" }, "Revoke");
  button.addEventListener("click", async () => {
    if (!button.classList.contains("danger")) {
      button.className = "danger";
      button.textContent = "Confirm revoke";
      return;
    }
    button.disabled = true;
    await post(`/keys/${key.id}/revoke`);
    await showKeys();
  });
  return button;
}
