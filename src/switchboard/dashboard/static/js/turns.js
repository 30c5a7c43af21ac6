// How a turn reads wherever the dashboard shows one: its status, what started it, how it ended and how long it took.

import { ago, h } from "./dom.js";

export function turnStatusBadge(turn) {
  return h("span", { class: `badge turn-${turn.status}` }, turn.status.replace("_", " "));
}

/** "review verdict · exit 0 · 1.2s · 3m ago": the facts of a turn on one line. */
export function turnFacts(turn) {
  const facts = [turn.trigger.replaceAll("_", " ")];
  if (turn.exit_code !== null) facts.push(`exit ${turn.exit_code}`);
  if (turn.duration_seconds !== null) facts.push(duration(turn.duration_seconds));
  return [facts.join(" · "), " · ", ago(turn.started_at)];
}

export function duration(seconds) {
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.round((seconds % 3600) / 60)}m`;
}
