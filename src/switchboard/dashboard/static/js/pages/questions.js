// Questions: pending ones first with their options as buttons (or a text box); answered ones with who answered.

import { api, post } from "../api.js";
import { ago, debounce, empty, h, replace, taskLink } from "../dom.js";

export async function render(view) {
  const draw = async () => {
    const found = (await api(`/teams/${view.teamId}/questions?status=all&limit=200`)).questions;
    if (!view.current()) return;
    const pending = found.filter((q) => q.status === "pending");
    const settled = found.filter((q) => q.status !== "pending").reverse();
    replace(view.main, h("h1", {}, `${view.team.name}: questions`),
      h("h2", {}, `Waiting for an answer (${pending.length})`),
      pending.length ? pending.map((q) => questionPanel(view, q)) : empty("No question is waiting."),
      h("h2", {}, "Answered and expired"),
      settled.length ? settled.map((q) => questionPanel(view, q)) : empty("None yet."));
  };
  await draw();
  const redraw = debounce(draw, 200);
  view.on((event) => {
    if (event.kind.startsWith("question_")) redraw();
  });
}

function questionPanel(view, question) {
  return h("section", { class: `panel question ${question.status}`, "data-question-id": question.id },
    h("div", { class: "muted small" }, h("strong", {}, question.asked_by), ` asks (${question.kind}) `, ago(question.created_at),
      question.task_id ? [" about ", taskLink(view.teamId, question.task_id)] : null),
    h("div", { class: "text" }, question.question),
    question.status === "pending" ? answerForm(question) : outcome(question));
}

function outcome(question) {
  if (question.status === "expired") return h("p", { class: "muted" }, "Expired unanswered.");
  return h("p", {}, "Answer: ", h("strong", {}, question.answer), ` by ${question.answered_by} `, ago(question.answered_at));
}

function answerForm(question) {
  const status = h("p", { class: "error", role: "alert" });
  const send = async (answer, controls) => {
    controls.forEach((c) => { c.disabled = true; });
    try {
      await post(`/questions/${question.id}/answer`, { answer });
    } catch (error) {
      status.textContent = error.message;
      controls.forEach((c) => { c.disabled = false; });
    }
  };
  if (question.options) {
    const buttons = question.options.map((option) => h("button", { type: "button", "data-option": option }, option));
    buttons.forEach((b) => b.addEventListener("click", () => send(b.dataset.option, buttons)));
    return h("div", {}, h("div", { class: "options", role: "group", "aria-label": "Answers" }, buttons),
      question.expires_at ? h("p", { class: "muted small" }, "Expires ", new Date(question.expires_at).toLocaleString()) : null, status);
  }
  const text = h("textarea", { name: "answer", required: true, rows: 3, "aria-label": "Your answer" });
  const button = h("button", { type: "submit" }, "Answer");
  const form = h("form", {}, text, h("p", {}, button), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (text.value.trim()) send(text.value, [text, button]);
  });
  return form;
}
