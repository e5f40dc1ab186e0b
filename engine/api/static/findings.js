// One draft's findings: highlights on the original text (reachable by Tab, named for what was
// found), the list in Chinese with rule ids in a small details line, and one-click fixes.
// Offsets count code points, so text is indexed with Array.from (an emoji is one character).
"use strict";

// Chinese names of a finding's evasion, from /v1/rules/catalog (engine/data/evasion_names.yaml).
const EVASION_ZH = {};
function pillClass(severity) { return severity === "warn" ? "review" : severity === "block" ? "block" : "allow"; }

// What a highlight says to a screen reader: severity, the problem, the words it is about.
function foundName(f) {
  const what = f.matched && !f.message.includes(f.matched) ? `（原文“${f.matched}”）` : "";
  return `${SEVERITY_ZH[f.severity] || "提示"}：${f.message}${what}`;
}

function pressable(node, action) {
  node.addEventListener("click", action);
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); action(); }
  });
  return node;
}

function highlight(text, findings, onPick) {
  const chars = Array.from(text);
  const at = (x) => Math.min(x, chars.length);
  const spans = findings.map((f, i) => ({ ...f, i })).filter((f) => f.end > f.start);
  const carets = findings.map((f, i) => ({ ...f, i })).filter((f) => f.end === f.start);
  const cuts = new Set([0, chars.length]);
  for (const f of findings) { cuts.add(at(f.start)); cuts.add(at(f.end)); }
  const points = Array.from(cuts).sort((a, b) => a - b);
  const box = el("div", { class: "highlighted", lang: "zh-CN" });
  points.forEach((a, k) => {
    for (const f of carets.filter((c) => at(c.start) === a)) {
      // the ‸ is drawn by CSS, so the box's text stays exactly the draft's
      box.append(pressable(el("span", { class: "caret", role: "button", tabindex: 0,
        "aria-label": `此处${foundName(f)}`, title: f.message, "data-rules": f.rule_id,
        "data-findings": String(f.i) }), () => onPick([f.i])));
    }
    if (k === points.length - 1) return;
    const b = points[k + 1];
    const piece = chars.slice(a, b).join("");
    const covering = spans.filter((f) => f.start <= a && f.end >= b);
    if (!covering.length) { box.append(piece); return; }
    const worst = covering.reduce((w, f) => (severityRank(f.severity) > severityRank(w.severity) ? f : w));
    box.append(pressable(el("mark", {
      class: worst.severity, role: "button", tabindex: 0,
      "aria-label": `${piece}：${covering.map(foundName).join("；")}`, // starts with what it shows
      title: covering.map((f) => f.message).join("\n"),
      "data-rules": covering.map((f) => f.rule_id).join(" "),
      "data-findings": covering.map((f) => f.i).join(" "),
    }, piece), () => onPick(covering.map((f) => f.i))));
  });
  return box;
}

function severityRank(s) { return { info: 1, warn: 2, block: 3 }[s] || 0; }

// The fixes a finding offers: the server's own (kind delete | replace | insert, start, end,
// text, label) when it sends them, else deleting the flagged words.
function fixesOf(f) {
  // a server that sends `fixes` has re-checked each one and left out those that would break
  // the copy: an empty list means no one-click fix, not "delete the flagged words"
  if (Array.isArray(f.fixes)) return f.fixes;
  const given = f.fix ? [f.fix] : [];
  if (given.length) return given;
  return f.end > f.start ? [{ kind: "delete", start: f.start, end: f.end, text: "" }] : [];
}

// A fix whose text holds a placeholder (a signature the request did not give): ask first.
function askFor(fix) {
  if (!fix.ask) return fix;
  const value = (window.prompt(fix.ask, "") || "").trim();
  return value ? { ...fix, text: fix.text.replace(fix.placeholder, value) } : null;
}

function fixLabel(fix, chars) {
  const old = chars.slice(fix.start, fix.end).join("");
  if (fix.kind === "insert") return `插入“${fix.text}”`;
  if (fix.kind === "replace") return `把“${old}”改为“${fix.text}”`;
  return `删除“${old}”`;
}

function applyFix(text, fix) {
  const chars = Array.from(text);
  const start = Math.min(fix.start, chars.length), end = Math.min(Math.max(fix.end, fix.start), chars.length);
  const insert = fix.kind === "delete" ? "" : fix.text || "";
  return chars.slice(0, start).join("") + insert + chars.slice(end).join("");
}

function detailsLine(f) {
  const parts = [el("span", { class: "rule-id", text: f.rule_id })];
  const category = CATEGORY_ZH[f.category];
  if (category) parts.push(` · ${category}`);
  if (f.evasion) parts.push(` · 变形写法：${EVASION_ZH[f.evasion] || "其他变形写法"}`);
  if ((f.related || []).length) {
    parts.push(el("span", { class: "related", "data-related": f.related.join(" ") }, " · 同时命中：",
      f.related.flatMap((r, k) => [k ? "、" : "", el("span", { class: "rule-id", text: r })])));
  }
  return el("div", { class: "meta details" }, "规则 ", parts);
}

function findingItem(f, i, text, onFix) {
  const chars = Array.from(text);
  return el("li", { class: f.severity, "data-finding": i, "data-rule": f.rule_id },
    el("span", { class: `pill ${pillClass(f.severity)}`, text: SEVERITY_ZH[f.severity] || "提示" }), " ",
    el("strong", { text: f.message }),
    f.matched && !f.message.includes(f.matched) ? el("span", { class: "meta" }, " · 原文“", f.matched, "”") : null,
    el("div", {}, "建议：", f.suggestion),
    el("div", { class: "meta" }, "依据：", f.source),
    detailsLine(f),
    fixesOf(f).map((fix) => el("button", {
      type: "button", class: `small apply-fix fix-${fix.kind}`, title: fix.label || null,
      onclick: () => { const ready = askFor(fix); if (ready) onFix(applyFix(text, ready)); },
    }, fixLabel(fix, chars))));
}

function findingList(card, findings, text, onFix) {
  const list = el("ul", { class: "findings" });
  findings.forEach((f, i) => list.append(findingItem(f, i, text, onFix)));
  const pick = (indices) => {
    for (const node of card.querySelectorAll(".selected")) node.classList.remove("selected");
    for (const i of indices) {
      const li = list.querySelector(`li[data-finding="${i}"]`);
      if (li) li.classList.add("selected");
    }
    for (const m of card.querySelectorAll("[data-findings]")) {
      const mine = m.dataset.findings.split(" ").map(Number);
      if (indices.some((i) => mine.includes(i))) m.classList.add("selected");
    }
    const first = list.querySelector("li.selected");
    if (first) first.scrollIntoView({ block: "nearest", behavior: "smooth" });
  };
  return { list, pick };
}
