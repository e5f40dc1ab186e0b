// Check & compare page. Each draft has its own type, industry and profile and is checked on its
// own (POST /v1/variants with that one draft) when it changes: debounced, never while an input
// method is composing, at most a few requests at a time. Status and errors sit on the draft.
// Ranks and the ★ badge compare drafts of the same type only, here in the page.
"use strict";

const EXAMPLES = [
  "【信使商城】尊敬的会员，全场最*低*价，加 V 信领券！",
  "【信使商城】王女士，您有2张满200减30券待领，点击 t.cn/A6x1 领取，有效期至11月30日，拒收请回复R",
];
const DEBOUNCE_MS = 300;
const MAX_DRAFTS = 20; // as /v1/variants: a page of drafts to compare, not a batch job
const IN_FLIGHT = 3; // requests at once, so 20 pasted drafts never flood the server
const CHECK_TIMEOUT_MS = 20000; // a check takes well under a second; past this, say so
const draftsBox = document.getElementById("drafts");
const options = document.getElementById("options");
const versions = document.getElementById("versions");
const addButton = document.getElementById("add-draft");
const state = new Map(); // card -> { seq, timer, composing, row, text, type }
const waiting = [];
let running = 0;
let catalog = { industries: [], profiles: [] };

function cards() { return Array.from(draftsBox.querySelectorAll(".draft")); }
function part(card, name) { return card.querySelector(`.${name}`); }

function select(name, label, choices, value) {
  const box = el("select", { name, class: name },
    choices.map(([v, text]) => el("option", { value: v, text })));
  if (value !== undefined) box.value = value;
  return el("label", {}, label, box);
}

function draftOptions(like) {
  const pick = (name) => (like ? like.querySelector(`select.${name}`).value : undefined);
  return el("div", { class: "controls draft-options" },
    select("type", "类型", Object.entries(TYPE_ZH), pick("type")),
    select("industry", "行业", [["", "（不限）"], ...catalog.industries.map((n) => [n, industryZh(n)])], pick("industry")),
    select("profile", "通道", [["", "默认"], ...catalog.profiles.filter((n) => n !== "default").map((n) => [n, profileZh(n)])],
      pick("profile")));
}

function addDraft(text, after) {
  if (cards().length >= MAX_DRAFTS) return null;
  const area = el("textarea", { placeholder: "粘贴或输入一条短信草稿…" });
  area.value = text || "";
  const card = el("section", { class: "card draft" },
    el("div", { class: "draft-head" },
      el("h2", { class: "label" }),
      el("span", { class: "badges" }),
      el("button", { type: "button", class: "link remove", text: "删除",
        onclick: () => removeDraft(card) })),
    draftOptions(after || cards().at(-1)),
    area,
    el("p", { class: "draft-note muted", role: "status" }),
    el("p", { class: "draft-status", role: "status", "aria-live": "polite" }),
    el("div", { class: "result" }));
  state.set(card, { seq: 0, timer: null, composing: false, row: null, text: "", type: null });
  area.addEventListener("compositionstart", () => { const s = state.get(card); s.composing = true; hold(card); });
  area.addEventListener("compositionend", () => { state.get(card).composing = false; schedule(card); });
  area.addEventListener("input", (event) => {
    part(card, "draft-note").textContent = "";
    if (!event.isComposing && !state.get(card).composing) schedule(card);
  });
  area.addEventListener("paste", (event) => splitPaste(event, card, area));
  part(card, "draft-options").addEventListener("change", () => schedule(card, 0));
  if (after) after.after(card); else draftsBox.append(card);
  renumber();
  return card;
}

function removeDraft(card) {
  if (cards().length <= 1) return;
  hold(card);
  state.delete(card);
  card.remove();
  renumber();
  rerank();
}

function renumber() {
  cards().forEach((card, i) => {
    const name = `草稿 ${i + 1}`;
    part(card, "label").textContent = name;
    card.querySelector("textarea").setAttribute("aria-label", `${name}的文字`);
    part(card, "remove").setAttribute("aria-label", `删除${name}`);
  });
  const full = cards().length >= MAX_DRAFTS;
  addButton.disabled = full;
  addButton.textContent = full ? `已有 ${MAX_DRAFTS} 条草稿（上限）` : "+ 添加草稿";
}

function splitPaste(event, card, area) {
  const pasted = (event.clipboardData || window.clipboardData).getData("text");
  const lines = pasted.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  if (lines.length < 2) return;
  event.preventDefault();
  const start = area.selectionStart, end = area.selectionEnd;
  area.value = area.value.slice(0, start) + lines[0] + area.value.slice(end);
  const room = MAX_DRAFTS - cards().length;
  const added = lines.slice(1, 1 + Math.max(room, 0));
  let last = card;
  for (const line of added) { last = addDraft(line, last); schedule(last, 0); }
  schedule(card, 0);
  const dropped = lines.length - 1 - added.length;
  part(card, "draft-note").textContent = dropped > 0
    ? `粘贴了 ${lines.length} 行，每行一条草稿；一页最多比较 ${MAX_DRAFTS} 条，后面 ${dropped} 行没有添加。`
    : `粘贴了 ${lines.length} 行，已拆成 ${lines.length} 条草稿。`;
}

function setStatus(card, text, kind, retry) {
  const box = part(card, "draft-status");
  box.className = `draft-status ${kind || ""}`;
  box.replaceChildren(text, retry ? el("button", { type: "button", class: "small retry", text: "重试",
    onclick: () => schedule(card, 0) }) : "");
}

// Cancel what is pending for this draft; an answer already on its way is stale from now on.
function hold(card) {
  const s = state.get(card);
  clearTimeout(s.timer);
  s.seq += 1;
}

function schedule(card, delay = DEBOUNCE_MS) {
  hold(card);
  const s = state.get(card);
  if (s.composing) return;
  s.timer = setTimeout(() => { if (!waiting.includes(card)) waiting.push(card); pump(); }, delay);
}

function pump() {
  while (running < IN_FLIGHT && waiting.length) {
    const card = waiting.shift();
    if (!state.has(card)) continue;
    running += 1;
    check(card).finally(() => { running -= 1; pump(); });
  }
}

function body(card, text) {
  const draft = { text, type: card.querySelector("select.type").value };
  for (const key of ["industry", "profile"]) {
    const value = card.querySelector(`select.${key}`).value;
    if (value) draft[key] = value;
  }
  const sendAt = new FormData(options).get("send_at");
  return { drafts: [draft], price: price(), ...(sendAt ? { send_at: sendAt } : {}) };
}

function price() { return Math.max(Number(new FormData(options).get("price")) || 0, 0); }

function refusal(err, text) {
  if (err.code === "text_too_long") {
    const limit = (/limit is (\d+)/.exec(err.message) || [])[1] || "上限";
    return `这条草稿有 ${Array.from(text).length} 字，超过检查上限 ${limit} 字，没有检查（短信平台也不接收超过 500 字的短信）。请删减后再试。`;
  }
  return errorZh(err);
}

function forget(card, message, kind, retry) {
  const s = state.get(card);
  s.row = null;
  card.classList.remove("best");
  delete card.dataset.verdict;
  part(card, "result").replaceChildren();
  setStatus(card, message, kind, retry);
  rerank();
}

async function check(card) {
  const s = state.get(card);
  const mine = s.seq;
  const text = card.querySelector("textarea").value;
  if (!text.trim()) { forget(card, ""); return; }
  if (!/[\p{L}\p{N}]/u.test(text)) {
    forget(card, "这条草稿只有表情或符号，没有文字，所以没有检查。请写上短信内容。", "error");
    return;
  }
  setStatus(card, "检查中…", "busy");
  const request = body(card, text);
  let data;
  try {
    data = await fetchJSON("/v1/variants", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request),
    }, CHECK_TIMEOUT_MS);
  } catch (err) {
    if (mine === s.seq) forget(card, refusal(err, text), "error", err.code !== "text_too_long");
    return;
  }
  if (mine !== s.seq) return; // the draft changed meanwhile: its newer check is on its way
  Object.assign(s, { row: data.results[0], text, type: request.drafts[0].type });
  const simulated = data.model.trained_on === "simulated" ? "（模型基于模拟数据，只用于比较草稿）" : "";
  versions.textContent = `规则版本 ${data.ruleset_version} · 评分模型 ${data.model.version}${simulated}`;
  setStatus(card, "");
  render(card);
  rerank();
}

// Rank and ★ among drafts of the same type: the best is the top-scored allowed draft, else the
// top-scored one for review; only when there are at least two drafts of that type to compare.
function rerank() {
  const groups = new Map();
  for (const card of cards()) {
    const s = state.get(card);
    if (!s.row) { part(card, "badges").replaceChildren(); continue; }
    if (!groups.has(s.type)) groups.set(s.type, []);
    groups.get(s.type).push(card);
  }
  for (const [type, group] of groups) {
    const row = (card) => state.get(card).row;
    const order = [...group].sort((a, b) => row(b).score.score - row(a).score.score);
    const best = group.length < 2 ? null
      : order.find((c) => row(c).verdict === "allow") || order.find((c) => row(c).verdict === "review");
    order.forEach((card, k) => {
      const r = row(card);
      card.classList.toggle("best", card === best);
      part(card, "badges").replaceChildren(
        el("span", { class: `pill verdict ${r.verdict}`, text: VERDICT_ZH[r.verdict] }),
        el("span", { class: "meta rank", text: group.length > 1
          ? `${TYPE_ZH[type]}草稿第 ${k + 1} 名（共 ${group.length} 条）` : `${TYPE_ZH[type]}草稿` }),
        card === best ? el("span", { class: "pill star", title: `在 ${group.length} 条${TYPE_ZH[type]}草稿中`,
          text: "★ 最佳合规草稿" }) : "");
    });
  }
}

function apply(card, newText) {
  card.querySelector("textarea").value = newText;
  schedule(card, 0);
}

function render(card) {
  const { row, text } = state.get(card);
  card.dataset.verdict = row.verdict;
  const score = row.score;
  const { list, pick } = findingList(card, row.findings, text, (next) => apply(card, next));
  const cost = row.segments * price() * 10000;
  const reasons = el("ul", { class: "plain" }, score.reasons.map((r) => el("li", { text: r.text })));
  const rewrites = el("ul", { class: "plain rewrites" }, score.suggestions.map((s) =>
    el("li", {},
      el("div", {}, el("strong", { text: s.edit })),
      el("div", { class: "meta" }, `→ ${s.text}`),
      el("div", { class: "meta" },
        `预计点击率 ${pct(s.score)}（+${(s.gain * 100).toFixed(1)} 个百分点）· 检查结果：${VERDICT_ZH[s.verdict]} `,
        el("button", { type: "button", class: "small apply-rewrite", onclick: () => apply(card, s.text) }, "采用")))));
  part(card, "result").replaceChildren(
    highlight(text, row.findings, pick),
    el("div", { class: "stats" },
      el("span", { text: `${row.chars} 字（含签名）` }),
      el("span", { text: `计费 ${row.segments} 条` }),
      el("span", { text: `预计点击率 ${pct(score.score)}` }),
      el("span", { text: `每万条发送 ¥${cost.toFixed(0)}（¥${price()}/条）` })),
    el("div", { class: "cols" },
      el("div", {},
        el("h3", { text: row.findings.length ? `问题 ${row.findings.length} 处` : "没有发现问题" }),
        list),
      el("div", {},
        el("h3", {}, "预计点击率 ", el("span", { class: "score", text: pct(score.score) })),
        score.reasons.length ? reasons : el("p", { class: "muted", text: "没有明显影响点击的因素。" }),
        el("h3", { text: "改写建议（均已复查：不会被拦截，也没有新问题）" }),
        score.suggestions.length ? rewrites
          : el("p", { class: "muted", text: row.verdict === "block"
            ? "先修正上面的拦截问题，才会给出改写建议。" : "没有更好的改写。" }))));
}

async function loadOptions() {
  try {
    catalog = await fetchJSON("/v1/rules/catalog");
    Object.assign(EVASION_ZH, catalog.evasions || {});
  } catch (err) {
    versions.textContent = `无法读取行业和通道列表：${errorZh(err)}`;
    return;
  }
  for (const card of cards()) {
    const fresh = draftOptions(card);
    part(card, "draft-options").replaceWith(fresh);
    fresh.addEventListener("change", () => schedule(card, 0));
  }
}

options.addEventListener("change", (event) => {
  if (event.target.name === "price") { for (const card of cards()) if (state.get(card).row) render(card); return; }
  for (const card of cards()) schedule(card, 0); // the send time applies to every draft
});
options.addEventListener("input", (event) => {
  if (event.target.name === "price") for (const card of cards()) if (state.get(card).row) render(card);
});
addButton.addEventListener("click", () => {
  const card = addDraft("");
  if (card) card.querySelector("textarea").focus();
});
for (const text of EXAMPLES) addDraft(text);
loadOptions().finally(() => { for (const card of cards()) schedule(card, 0); });
