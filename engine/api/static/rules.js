// Rules page: GET /v1/rules (version, packs, last reload) and GET /v1/rules/catalog (every rule).
"use strict";

const summary = document.getElementById("summary");
const reloadBox = document.getElementById("reload");
const rulesBox = document.getElementById("rules");
const search = document.getElementById("search");
const count = document.getElementById("count");
let items = [];

// An example's message options, in the words of the check page (类型=通知, not type=notification).
const EXAMPLE_KEYS = [["type", "类型", (v) => TYPE_ZH[v] || v], ["industry", "行业", industryZh],
  ["profile", "通道", profileZh], ["send_at", "发送时间", (v) => String(v).replace("T", " ")]];

function exampleText(ex) {
  const extras = EXAMPLE_KEYS.filter(([k]) => ex[k]).map(([k, zh, say]) => `${zh}=${say(ex[k])}`);
  return ex.text + (extras.length ? `（${extras.join("，")}）` : "");
}

// Placeholders in a rule's message, filled in when a draft is checked; here shown by name.
const SLOT_ZH = { matched: "命中的文字", n: "N", limit: "上限", over: "超出的字数", segments: "计费条数",
  host: "域名", count: "数量", at: "发送时间", window_start: "开始时间", window_end: "结束时间" };

function filled(template) {
  return (template || "").split(/(\{\w+\})/).filter(Boolean).map((piece) => {
    const name = /^\{(\w+)\}$/.exec(piece);
    return name ? el("span", { class: "slot", title: "检查草稿时换成草稿里的实际内容", text: SLOT_ZH[name[1]] || name[1] }) : piece;
  });
}

function unfilled(template) { return (template || "").replace(/\{(\w+)\}/g, (_, k) => SLOT_ZH[k] || k); }


function scope(rule) {
  const parts = [`类型：${rule.types.map((t) => TYPE_ZH[t] || t).join("、")}`];
  if (rule.industries) parts.push(`仅限行业：${rule.industries.map(industryZh).join("、")}`);
  if (rule.skip_industries.length) parts.push(`不适用行业：${rule.skip_industries.map(industryZh).join("、")}`);
  if (rule.profiles) parts.push(`仅限通道：${rule.profiles.map(profileZh).join("、")}`);
  if (rule.effective_from || rule.effective_until) {
    parts.push(`生效：${rule.effective_from || "…"} 至 ${rule.effective_until || "…"}`);
  }
  return parts.join(" · ");
}

function ruleCard(rule) {
  const sev = rule.severity === "warn" ? "review" : rule.severity === "block" ? "block" : "allow";
  const where = rule.line ? `${rule.file}:${rule.line}` : rule.file;
  return el("section", { class: "card rule", id: rule.id, "data-rule": rule.id },
    el("div", { class: "draft-head" },
      el("span", { class: `pill ${sev}`, text: SEVERITY_ZH[rule.severity] || "提示" }),
      el("strong", { class: "message" }, filled(rule.message))),
    el("div", {}, "建议：", filled(rule.suggestion)),
    el("div", { class: "meta" }, "依据：", rule.source),
    el("div", { class: "meta", text: scope(rule) }),
    el("div", { class: "meta details" }, "规则 ", el("span", { class: "rule-id", text: rule.id }),
      ` · 类别：${CATEGORY_ZH[rule.category] || rule.category} · 检查方式：${KIND_ZH[rule.kind] || rule.kind} · ${where}`),
    rule.description ? el("p", { class: "meta", text: rule.description }) : null,
    el("ul", { class: "plain examples" },
      rule.examples.flag.map((ex) => el("li", { class: "flag", text: exampleText(ex) })),
      rule.examples.pass.map((ex) => el("li", { class: "pass", text: exampleText(ex) }))));
}

function haystack(rule) {
  return [rule.id, rule.category, CATEGORY_ZH[rule.category] || "", rule.kind, rule.severity, scope(rule), unfilled(rule.message), unfilled(rule.suggestion), rule.source,
    rule.description || "", ...rule.examples.flag.map(exampleText), ...rule.examples.pass.map(exampleText)]
    .join("\n").toLowerCase();
}

function filter() {
  const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const { card, text } of items) {
    const hit = words.every((w) => text.includes(w));
    card.hidden = !hit;
    if (hit) shown += 1;
  }
  count.textContent = `显示 ${shown} / ${items.length} 条规则`;
}

const PACK_ZH = { ...CATEGORY_ZH, content_model: "内容模型（统计判断）" };

function showReload(report) {
  const r = report.reload;
  const when = new Date(r.attempted_at).toLocaleString("zh-CN");
  if (r.ok) {
    reloadBox.replaceChildren(el("div", { class: "banner ok", text: `上次重新加载（${when}）成功，正在使用版本 ${report.version}。` }));
    return;
  }
  reloadBox.replaceChildren(el("div", { class: "banner block" },
    el("strong", { text: `上次重新加载（${when}）被拒绝：规则文件有错误，仍在使用旧版本 ${report.version}。` }),
    r.rejected_version ? ` 被拒绝的版本：${r.rejected_version}` : "",
    el("ul", { class: "plain reload-errors" }, r.errors.map(reloadError))));
}

// "rules/packs/x.yaml:7: rule 'x.y': unknown kind 'forbiden'. ..." -> a Chinese line saying
// where, and the checker's own words (English, for the rule author) as a details line.
const PROBLEMS_ZH = [
  [/^unknown kind '([^']*)'/, (m) => `未知的规则类型“${m[1]}”`],
  [/^unknown field '([^']*)'/, (m) => `未知的字段“${m[1]}”`],
  [/^duplicate rule id/, () => "规则编号重复"],
  [/^(?:invalid|bad) regex|^regex/, () => "正则表达式有误"],
  [/^YAML|yaml/, () => "YAML 格式有误"],
  [/^missing|required/, () => "缺少必填项"],
];

function reloadError(line) {
  const m = /^(.*?\.(?:ya?ml|txt))(?::(\d+))?:(?: rule '([^']+)':)? (.*)$/s.exec(line);
  if (!m) return el("li", {}, "规则文件有错误", el("div", { class: "meta details", text: line }));
  const [, file, row, rule, problem] = m;
  const known = PROBLEMS_ZH.find(([p]) => p.test(problem));
  const what = known ? known[1](known[0].exec(problem)) : "内容有误";
  const hint = (/Did you mean '([^']+)'/.exec(problem) || [])[1];
  return el("li", {},
    `${file}${row ? ` 第 ${row} 行` : ""}${rule ? `（规则 ${rule}）` : ""}：${what}${hint ? `，是否应为“${hint}”？` : "。"}`,
    el("div", { class: "meta details" }, "原始信息：", el("span", { class: "rule-id", text: problem })));
}

async function load() {
  let report, catalog;
  try {
    [report, catalog] = await Promise.all([fetchJSON("/v1/rules"), fetchJSON("/v1/rules/catalog")]);
  } catch (err) {
    summary.textContent = `无法读取规则：${errorZh(err)}`;
    summary.className = "error";
    return;
  }
  // a pack is a rules/packs/*.yaml file, named by its category (the file stem stays internal)
  const packs = Object.entries(report.packs).map(([name, n]) => `${PACK_ZH[name] || name} ${n}`).join("，");
  summary.replaceChildren(
    el("div", {}, `规则集 ${report.name} · 版本 `, el("span", { class: "rule-id", text: report.version }),
      report.commit ? ` · 提交 ${report.commit}` : "", ` · ${report.rules} 条规则 · ${report.word_lists} 个词表`),
    el("div", { text: `规则包：${packs}` }),
    el("div", { text: `加载于 ${new Date(report.loaded_at).toLocaleString("zh-CN")}` }));
  showReload(report);
  items = catalog.rules.map((rule) => ({ rule, card: ruleCard(rule), text: haystack(rule) }));
  rulesBox.replaceChildren(...items.map((i) => i.card));
  filter();
}

search.addEventListener("input", filter);
load();
