// Check & variants page: drafts -> POST /v1/variants -> findings on the original text, verdict,
// score with reasons, rewrites, segments and cost. Offsets from the API count code points,
// so text is indexed with Array.from (an emoji is one character there, two in a JS string).
"use strict";

const EXAMPLES = [
  "【信使商城】尊敬的会员，全场最*低*价，加 V 信领券！",
  "【信使商城】王女士，您有2张满200减30券待领，点击 t.cn/A6x1 领取，有效期至11月30日，拒收请回复R",
];
const DEBOUNCE_MS = 300;
const draftsBox = document.getElementById("drafts");
const options = document.getElementById("options");
const status = document.getElementById("status");
let timer = null;
let sequence = 0;

function cards() { return Array.from(draftsBox.querySelectorAll(".draft")); }

function addDraft(text, after) {
  const area = el("textarea", { "aria-label": "草稿", placeholder: "粘贴或输入一条短信草稿…" });
  area.value = text || "";
  const card = el("section", { class: "card draft" },
    el("div", { class: "draft-head" },
      el("strong", { class: "label" }),
      el("span", { class: "badges" }),
      el("button", { type: "button", class: "link remove", title: "删除这条草稿", text: "×",
        onclick: () => { if (cards().length > 1) { card.remove(); renumber(); schedule(0); } } })),
    area,
    el("div", { class: "result" }));
  area.addEventListener("input", () => schedule());
  area.addEventListener("paste", (event) => splitPaste(event, card, area));
  if (after) after.after(card); else draftsBox.append(card);
  renumber();
  return card;
}

function renumber() {
  cards().forEach((card, i) => { card.querySelector(".label").textContent = `草稿 ${i + 1}`; });
}

function splitPaste(event, card, area) {
  const pasted = (event.clipboardData || window.clipboardData).getData("text");
  const lines = pasted.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  if (lines.length < 2) return;
  event.preventDefault();
  const start = area.selectionStart, end = area.selectionEnd;
  area.value = area.value.slice(0, start) + lines[0] + area.value.slice(end);
  let last = card;
  for (const line of lines.slice(1)) last = addDraft(line, last);
  schedule(0);
}

function schedule(delay = DEBOUNCE_MS) {
  clearTimeout(timer);
  timer = setTimeout(run, delay);
}

function request(texts) {
  const form = new FormData(options);
  const body = { drafts: texts, type: form.get("type"), price: Number(form.get("price") || 0) };
  for (const key of ["industry", "send_at", "profile"]) {
    if (form.get(key)) body[key] = form.get(key);
  }
  return body;
}

async function run() {
  const mine = ++sequence;
  const active = cards().filter((card) => card.querySelector("textarea").value.trim());
  for (const card of cards()) {
    if (!active.includes(card)) { clear(card); }
  }
  if (!active.length) { status.textContent = ""; return; }
  status.textContent = "检查中…";
  const texts = active.map((card) => card.querySelector("textarea").value);
  let data;
  try {
    data = await fetchJSON("/v1/variants", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request(texts)),
    });
  } catch (err) {
    if (mine === sequence) { status.textContent = `出错：${err.message}`; status.className = "error"; }
    return;
  }
  if (mine !== sequence) return; // a newer check is on its way
  status.className = "muted";
  const simulated = data.model.trained_on === "simulated" ? "（模型基于模拟数据，只用于比较草稿）" : "";
  status.textContent = `规则版本 ${data.ruleset_version} · 评分模型 ${data.model.version}${simulated}`;
  active.forEach((card, i) => render(card, data.results[i], texts[i], data.price));
}

function clear(card) {
  card.classList.remove("best");
  delete card.dataset.verdict;
  card.querySelector(".badges").replaceChildren();
  card.querySelector(".result").replaceChildren();
}

function severityRank(s) { return { info: 1, warn: 2, block: 3 }[s] || 0; }

function highlight(text, findings, onPick) {
  const chars = Array.from(text);
  const spans = findings.map((f, i) => ({ ...f, i })).filter((f) => f.end > f.start);
  const carets = findings.map((f, i) => ({ ...f, i })).filter((f) => f.end === f.start);
  const cuts = new Set([0, chars.length]);
  for (const f of findings) { cuts.add(Math.min(f.start, chars.length)); cuts.add(Math.min(f.end, chars.length)); }
  const points = Array.from(cuts).sort((a, b) => a - b);
  const box = el("div", { class: "highlighted", lang: "zh-CN" });
  points.forEach((a, k) => {
    for (const f of carets.filter((c) => Math.min(c.start, chars.length) === a)) {
      box.append(el("span", { class: "caret", title: f.message, "data-rules": f.rule_id,
        onclick: () => onPick([f.i]), text: "‸" }));
    }
    if (k === points.length - 1) return;
    const b = points[k + 1];
    const piece = chars.slice(a, b).join("");
    const covering = spans.filter((f) => f.start <= a && f.end >= b);
    if (!covering.length) { box.append(piece); return; }
    const worst = covering.reduce((w, f) => (severityRank(f.severity) > severityRank(w.severity) ? f : w));
    box.append(el("mark", {
      class: worst.severity,
      title: covering.map((f) => `${f.message}（${f.rule_id}）`).join("\n"),
      "data-rules": covering.map((f) => f.rule_id).join(" "),
      "data-findings": covering.map((f) => f.i).join(" "),
      onclick: () => onPick(covering.map((f) => f.i)),
    }, piece));
  });
  return box;
}

function apply(card, newText) {
  const area = card.querySelector("textarea");
  area.value = newText;
  schedule(0);
}

function findingItem(card, f, i, text) {
  const chars = Array.from(text);
  const item = el("li", { class: f.severity, "data-finding": i, "data-rule": f.rule_id },
    el("span", { class: `pill ${f.severity === "warn" ? "review" : f.severity === "block" ? "block" : "allow"}`,
      text: SEVERITY_ZH[f.severity] || f.severity }), " ",
    el("strong", { text: f.message }),
    f.matched ? el("span", { class: "meta" }, " · 原文“", f.matched, "”") : null,
    el("div", {}, "建议：", f.suggestion),
    el("div", { class: "meta" }, "依据：", f.source),
    el("div", { class: "meta" }, el("span", { class: "rule-id", text: f.rule_id }), ` · ${f.category}`,
      f.evasion ? ` · 规避写法（${f.evasion}）` : ""),
    // rules whose findings on the same characters were merged into this one
    (f.related || []).length
      ? el("div", { class: "meta related", "data-related": f.related.join(" ") },
        "同时命中：", f.related.flatMap((r, k) => [k ? "、" : "", el("span", { class: "rule-id", text: r })]))
      : null);
  // one-click fixes from the API (delete, replace, insert), each already re-checked there;
  // an insert that needs a value the page does not have (a signature) asks for it first
  for (const fix of f.fixes || []) {
    const run = () => {
      let text = fix.text;
      if (fix.ask) {
        const value = window.prompt(fix.ask, "");
        if (!value || !value.trim()) return;
        text = text.replace(fix.placeholder, value.trim());
      }
      apply(card, chars.slice(0, fix.start).join("") + text + chars.slice(fix.end).join(""));
    };
    item.append(el("button", { type: "button", class: `small apply-fix ${fix.kind}`,
      "data-kind": fix.kind, onclick: run }, `${fix.label}并重新检查`));
  }
  return item;
}

function render(card, row, text, price) {
  card.dataset.verdict = row.verdict;
  card.classList.toggle("best", !!row.best);
  const score = row.score;
  const badges = card.querySelector(".badges");
  badges.replaceChildren(
    el("span", { class: `pill verdict ${row.verdict}`, text: `${VERDICT_ZH[row.verdict]} ${row.verdict}` }),
    el("span", { class: "meta", text: `第 ${row.rank} 名 · 预计点击率 ${pct(score.score)}` }),
    ...(row.best ? [el("span", { class: "pill star", text: "★ 最佳合规草稿" })] : []));

  const list = el("ul", { class: "findings" });
  const pick = (indices) => {
    for (const node of card.querySelectorAll(".selected")) node.classList.remove("selected");
    for (const i of indices) {
      const li = list.querySelector(`li[data-finding="${i}"]`);
      if (li) li.classList.add("selected");
    }
    for (const m of card.querySelectorAll("mark")) {
      const mine = (m.dataset.findings || "").split(" ").map(Number);
      if (indices.some((i) => mine.includes(i))) m.classList.add("selected");
    }
    const first = list.querySelector("li.selected");
    if (first) first.scrollIntoView({ block: "nearest", behavior: "smooth" });
  };
  row.findings.forEach((f, i) => list.append(findingItem(card, f, i, text)));

  const reasons = el("ul", { class: "plain" }, score.reasons.map((r) => el("li", { text: r.text })));
  const rewrites = el("ul", { class: "plain rewrites" }, score.suggestions.map((s) =>
    el("li", {},
      el("div", {}, el("strong", { text: s.edit })),
      el("div", { class: "meta" }, `→ ${s.text}`),
      el("div", { class: "meta" },
        `预计点击率 ${pct(s.score)}（+${(s.gain * 100).toFixed(1)} 个百分点）· 检查结果：${VERDICT_ZH[s.verdict]} `,
        el("button", { type: "button", class: "small apply-rewrite", onclick: () => apply(card, s.text) }, "采用")))));

  card.querySelector(".result").replaceChildren(
    highlight(text, row.findings, pick),
    el("div", { class: "stats" },
      el("span", { text: `${row.chars} 字（含签名）` }),
      el("span", { text: `计费 ${row.segments} 条` }),
      el("span", { text: `每万条发送 ¥${row.cost_per_10k.toFixed(0)}（¥${price}/条）` })),
    el("div", { class: "cols" },
      el("div", {},
        el("h2", { text: row.findings.length ? `问题 ${row.findings.length} 处` : "没有发现问题" }),
        list),
      el("div", {},
        el("h2", {}, "预计点击率 ", el("span", { class: "score", text: pct(score.score) })),
        score.reasons.length ? reasons : el("p", { class: "muted", text: "没有明显影响点击的因素。" }),
        el("h2", { text: "改写建议（均已通过合规检查）" }),
        score.suggestions.length ? rewrites
          : el("p", { class: "muted", text: row.verdict === "block"
            ? "先修正上面的拦截问题，才会给出改写建议。" : "没有更好的改写。" }))));
}

async function loadOptions() {
  try {
    const catalog = await fetchJSON("/v1/rules/catalog");
    const industry = options.querySelector("[name=industry]");
    for (const name of catalog.industries) industry.append(el("option", { value: name, text: name }));
    const profile = options.querySelector("[name=profile]");
    for (const name of catalog.profiles) {
      if (name !== "default") profile.append(el("option", { value: name, text: name }));
    }
  } catch (err) {
    status.textContent = `无法读取规则：${err.message}`;
  }
}

options.addEventListener("input", () => schedule());
options.addEventListener("change", () => schedule());
document.getElementById("add-draft").addEventListener("click", () => {
  addDraft("").querySelector("textarea").focus();
});
for (const text of EXAMPLES) addDraft(text);
loadOptions();
schedule(0);
