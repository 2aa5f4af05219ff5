// Unmask page: posts to /v1/unmask/stream and paints every denoising step; each token is coloured by the step at
// which it was revealed (blue = early, red = late). Works offline: no libraries, only this file.
"use strict";

const $ = (id) => document.getElementById(id);
let controller = null;

function hue(step, steps) {
  const f = steps > 1 ? step / (steps - 1) : 0;
  return 240 - 240 * f;
}

function visible(text) {
  if (text === null) return "";
  return text.replace(/\n/g, "\u21b5").replace(/ /g, "\u00b7");
}

// Special tokens are long; show them compactly (the tooltip has the full string).
function shortSpecial(tok) {
  if (tok === "<|endoftext|>") return "EOS";
  if (tok === "<|eot_id|>") return "EOT";
  return tok.slice(2, -2);
}

function buildCanvas(n) {
  const canvas = $("canvas");
  canvas.textContent = "";
  for (let i = 0; i < n; i++) {
    const span = document.createElement("span");
    span.className = "tok masked";
    span.textContent = "\u2591";
    span.dataset.pos = i;
    canvas.appendChild(span);
  }
}

function paintStep(ev) {
  const spans = $("canvas").children;
  for (const s of document.querySelectorAll(".tok.fresh")) s.classList.remove("fresh");
  // ReMDM turns revealed tokens back into masks: show them masked until they are revealed again
  for (let pos = 0; pos < spans.length; pos++) {
    if (ev.tokens[pos] !== null || spans[pos].classList.contains("masked")) continue;
    spans[pos].className = "tok masked";
    spans[pos].textContent = "\u2591";
    spans[pos].removeAttribute("title");
    spans[pos].style.backgroundColor = "";
  }
  for (const pos of ev.revealed) {
    const span = spans[pos];
    if (!span) continue;
    const tok = ev.tokens[pos];
    const special = /^<\|.*\|>$/.test(tok);
    span.className = "tok fresh" + (special ? " special" : "");
    span.textContent = special ? shortSpecial(tok) : visible(tok);
    span.title = tok + " (position " + pos + ", revealed at step " + (ev.step + 1) + ")";
    span.dataset.step = ev.step;
    span.style.backgroundColor = "hsl(" + hue(ev.step, ev.steps) + " 70% 65%)";
  }
  $("answer").textContent = ev.text;
  $("status").textContent = "step " + (ev.step + 1) + " / " + ev.steps;
}

function numberOrNull(id) {
  const v = $(id).value.trim();
  return v === "" ? null : Number(v);
}

function requestBody() {
  const body = {
    max_tokens: numberOrNull("gen_length"),
    steps: numberOrNull("steps"),
    block_length: numberOrNull("block_length"),
    temperature: numberOrNull("temperature"),
  };
  const thr = numberOrNull("threshold");
  if (thr !== null && thr > 0) body.threshold = thr;
  const prompt = $("prompt").value;
  if ($("chat").checked) body.messages = [{ role: "user", content: prompt }];
  else body.prompt = prompt;
  return body;
}

function handle(ev) {
  if (ev.error) {
    $("status").textContent = "error: " + ev.error.message;
    document.body.dataset.state = "error";
  } else if (ev.type === "start") {
    buildCanvas(ev.gen_length);
    $("legend-max").textContent = "1 \u2026 " + ev.steps;
    $("model").textContent = ev.model + " \u00b7 prompt " + ev.prompt_tokens + " tokens";
  } else if (ev.type === "step") {
    paintStep(ev);
  } else if (ev.type === "done") {
    $("answer").textContent = ev.text;
    $("status").textContent = "done in " + ev.steps_run + " steps (" + ev.finish_reason + ")";
    document.body.dataset.state = "done";
  }
}

async function run(e) {
  if (e) e.preventDefault();
  if (controller) controller.abort();
  controller = new AbortController();
  document.body.dataset.state = "running";
  $("run").disabled = true;
  $("stop").disabled = false;
  $("status").textContent = "waiting for the model\u2026";
  $("answer").textContent = "";
  try {
    const res = await fetch("/v1/unmask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(requestBody()),
      signal: controller.signal,
    });
    if (!res.ok) {
      const err = await res.json().catch(() => ({ error: { message: res.statusText } }));
      handle(err);
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of frame.split("\n")) {
          if (!line.startsWith("data: ")) continue;
          const data = line.slice(6);
          if (data === "[DONE]") continue;
          handle(JSON.parse(data));
        }
      }
    }
  } catch (err) {
    if (err.name !== "AbortError") {
      $("status").textContent = "error: " + err.message;
      document.body.dataset.state = "error";
    } else {
      $("status").textContent = "stopped";
      document.body.dataset.state = "stopped";
    }
  } finally {
    $("run").disabled = false;
    $("stop").disabled = true;
    controller = null;
  }
}

$("form").addEventListener("submit", run);
$("stop").addEventListener("click", () => controller && controller.abort());

// ?prompt=...&gen_length=...&autosubmit=1 fills the form and starts at once (links and headless checks).
(function fromQuery() {
  const q = new URLSearchParams(location.search);
  for (const id of ["prompt", "gen_length", "steps", "block_length", "temperature", "threshold"]) {
    if (q.has(id)) $(id).value = q.get(id);
  }
  if (q.has("chat")) $("chat").checked = q.get("chat") !== "0";
  if (q.get("autosubmit") === "1") run();
})();
