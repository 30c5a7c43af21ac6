// A team's event stream, read with fetch rather than EventSource: EventSource hands out only the event kinds a
// page listens for by name, and the hub adds kinds over time. Reconnects resume from the last event id.

import { api } from "./api.js";

const RETRY_MS = [500, 1000, 2000, 5000, 10000];

export class TeamStream {
  constructor(teamId, onEvent, onState) {
    this.teamId = teamId;
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastId = null;
    this.abort = new AbortController();
  }

  /** Starts following the team from now; resolves once the starting point is known, before any read. */
  async start() {
    const { last_event_id: lastId } = await api(`/teams/${this.teamId}/events/position`);
    this.lastId = lastId;
    this.run();
  }

  stop() {
    this.abort.abort();
  }

  async run() {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        const response = await fetch(`/api/v1/teams/${this.teamId}/events/stream`, {
          headers: { Accept: "text/event-stream", "Last-Event-ID": String(this.lastId) },
          credentials: "same-origin",
          signal: this.abort.signal,
        });
        if (response.status === 401) {
          window.location.assign("/dashboard/login");
          return;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        this.onState(true);
        failures = 0;
        await this.read(response.body);
      } catch (error) {
        if (this.abort.signal.aborted) return;
      }
      this.onState(false);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]));
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      // A line ends in \r\n, \n or \r; a \r at a chunk's end waits for the next chunk to say which.
      pending += value;
      const cut = pending.endsWith("\r") ? pending.length - 1 : pending.length;
      buffer += pending.slice(0, cut).replace(/\r\n?/g, "\n");
      pending = pending.slice(cut);
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        this.dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  dispatch(block) {
    const fields = { data: [] };
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "data") fields.data.push(value);
      else fields[name] = value;
    }
    if (!fields.data.length) return;
    if (fields.id) this.lastId = Number(fields.id);
    this.onEvent(JSON.parse(fields.data.join("\n")));
  }
}
