// A/B page: GET /v1/ab (experiments), GET /v1/ab/{experiment} (report), the PNG charts.
"use strict";

const pick = document.getElementById("experiment");
const metricBox = document.getElementById("metric");
const out = document.getElementById("report");
let sequence = 0;
// warnings the page says in Chinese from the report's own fields; any other is shown as is
const PLAIN = ["sample ratio mismatch", "split slightly off plan", "read early",
  "the split is off plan inside", "message(s) have events but no 'sent' event"];
const METRIC_ZH = { click: "点击率", conversion: "转化率", delivery: "送达率", revenue: "每条收入" };
const CONCLUSIVE = ["ship", "worse", "guardrail_failed", "guardrail_pending"];
const GUARD_ZH = { opt_out: "退订率", complaint: "投诉率" };
// the report's other warnings, said in Chinese; anything new is shown as the report says it
const WARNINGS_ZH = [
  [/^variant '(.+)' has events but no sends/, (m) => `组 ${m[1]} 只有点击、转化等后续事件而没有发送记录，未计入报告。`],
  [/^the planned weights name no weight for (.+?); /, (m) => `计划比例没有给出 ${m[1].replaceAll("'", "")} 的权重，分流改按均分检查。`],
  [/^the planned weights name (.+), which had no sends/, (m) => `计划比例中的 ${m[1].replaceAll("'", "")} 没有任何发送记录。`],
  [/^too few sends to compare '(.+)' with control/, (m) => `组 ${m[1]} 的发送量太少（某组不超过 1 条），无法与对照组比较。`],
];
function warningZh(w) {
  for (const [pattern, say] of WARNINGS_ZH) { const m = pattern.exec(w); if (m) return say(m); }
  return w;
}
const GUARD_STATUS = { pass: "通过：未变差超出容忍", fail: "未通过：变差超出容忍", inconclusive: "尚无定论", not_measured: "未记录此事件" };

function scorecard(rep) {
  const card = rep.scorecard;
  if (!card) return [];
  const money = (x) => `¥${(x / 100).toFixed(3)}`;
  const show = (m, x) => (m === "revenue" ? money(x) : pct(x, 2));
  const delta = (m, x) => (m === "revenue" ? `${x >= 0 ? "+" : ""}${money(x)}` : points(x));
  return [
    el("h2", { text: "全部指标（跨指标 × 组统一做 Holm 校正）" }),
    table(["指标", "组", "对照组", "该组", "差值", "p", "p（Holm，跨指标）"],
      card.metrics.map((m) => [METRIC_ZH[m.metric] || m.metric, m.variant, show(m.metric, m.control_rate),
        show(m.metric, m.variant_rate), delta(m.metric, m.diff), fmtP(m.p_value), fmtP(m.p_holm)]),
      [false, false, true, true, true, true, true]),
    el("h2", { text: "护栏指标（非劣效检验：不得变差超过容忍值）" }),
    table(["护栏", "组", "对照组", "该组", "差值上界（百分点）", "容忍", "结论"],
      card.guardrails.map((g) => [GUARD_ZH[g.metric] || g.metric, g.variant, pct(g.control_rate, 3), pct(g.variant_rate, 3),
        g.upper === null ? "–" : points(g.upper), g.margin, GUARD_STATUS[g.status] || g.status]),
      [false, false, true, true, true, true, false]),
  ];
}

function fmtP(p) { return p === null || p === undefined ? "–" : p < 0.001 ? "< 0.001" : p.toFixed(3); }
function points(x) { return x === null || x === undefined ? "–" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}`; }
function interval(ci, f) { return ci ? `${f(ci[0])} … ${f(ci[1])}` : "–"; }
function int(n) { return n === null || n === undefined ? "–" : n.toLocaleString("zh-CN"); }

function plan(weights) {
  if (!weights) return "计划的均分比例";
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  return "计划比例 " + Object.entries(weights).map(([k, w]) => `${k} ${pct(w / total, 0)}`).join(" / ");
}

function earlyBanner(rep) {
  const power = rep.power || {};
  if (!power.read_early) return null;
  const target = power.planned_per_arm || power.needed_for_10pct_lift;
  const size = target ? `每组 ${int(power.per_arm)} 条，计划约需每组 ${int(target)} 条` : `每组 ${int(power.per_arm)} 条`;
  if (rep.comparisons.some((c) => CONCLUSIVE.includes(c.decision))) {
    return el("div", { class: "banner warn early" },
      `样本尚未达到计划量（${size}）。固定样本的 p 值此时偏乐观；下面标为“胜出”或“更差”的结论已通过随时可看的序贯区间，可以采信，其余为时过早。`);
  }
  return el("div", { class: "banner warn early" },
    `样本还不够（${size}）。现在下结论为时过早：没有哪一组的序贯区间排除了 0。`);
}

function orphanBanner(orphans) {
  if (!orphans || !orphans.total) return null;
  const per = Object.entries(orphans.by_variant).map(([k, n]) => `${k} ${int(n)}`).join("，");
  return el("div", { class: "banner warn orphans" },
    `有 ${int(orphans.total)} 条消息只有点击、转化等后续事件而没有发送记录（${per}），已排除在所有比率之外。请检查发送日志是否缺失。`);
}

function segmentSrmBanner(rep) {
  if (rep.srm.flagged) return null;
  const off = (rep.segment_srm || []).filter((s) => s.flagged);
  if (!off.length) return null;
  return el("div", { class: "banner warn srm-segments" },
    `有 ${off.length} 个分群内的分流比例偏离${plan(rep.weights)}：`,
    off.slice(0, 5).map((s) => `${s.dimension}=${s.value}（p = ${fmtP(s.p_value)}）`).join("，"),
    "。请检查这些用户是如何分组的。");
}

function srmBanner(srm, variants, weights) {
  const counts = variants.map((v, i) => `${v.variant} ${int(srm.observed[i])}`).join("，");
  if (srm.flagged) {
    return el("div", { class: "banner block srm" },
      el("strong", { text: "分流比例异常（SRM）：" }),
      `各组实际发送量（${counts}）与${plan(weights)}明显不符（p = ${fmtP(srm.p_value)}）。`,
      "这通常说明分组或发送环节出了问题；先查明原因，在此之前下面的结论都不可信。");
  }
  if (srm.level === "yellow") {
    return el("div", { class: "banner warn srm" },
      `分流比例略偏离计划（${counts}，p = ${fmtP(srm.p_value)}），结论暂可参考，但请留意。`);
  }
  return el("div", { class: "banner ok srm" }, `分流正常：各组发送量（${counts}）符合${plan(weights)}。`);
}

function render(rep) {
  const revenue = rep.metric === "revenue";
  const rate = revenue ? (x) => (x === null ? "–" : `¥${(x / 100).toFixed(2)}`) : (x) => pct(x, 2);
  const diff = revenue ? (x) => (x === null ? "–" : `${x >= 0 ? "+" : ""}¥${(x / 100).toFixed(2)}`) : points;
  const metricName = METRIC_ZH[rep.metric] || rep.metric;
  const chart = `/v1/ab/${encodeURIComponent(rep.experiment)}/chart.png?metric=${encodeURIComponent(rep.metric)}`;
  const segments = rep.segments.filter((s) => s.diff !== null && s.p_bh !== null)
    .sort((a, b) => a.p_bh - b.p_bh).slice(0, 10);
  const tooFew = rep.segments.filter((s) => s.too_few);
  const prior = rep.prior && rep.prior.name === "flat"
    ? "贝叶斯先验：差值采用平坦（无信息）先验，正态近似。"
    : rep.prior ? `贝叶斯先验：每组比率 Beta(${rep.prior.alpha}, ${rep.prior.beta})（${rep.prior.name === "uniform" ? "均匀先验" : rep.prior.name}），各组独立。` : null;
  const parts = [
    srmBanner(rep.srm, rep.variants, rep.weights),
    segmentSrmBanner(rep),
    earlyBanner(rep),
    orphanBanner(rep.orphans),
    // the SRM and read-early warnings are shown in plain words above; the rest as the report says
    ...rep.warnings.filter((w) => !PLAIN.some((p) => w.includes(p)))
      .map((w) => el("div", { class: "banner warn", text: warningZh(w) })),
    el("h2", { text: "结论" }),
    el("ul", { class: "plain verdicts" }, rep.comparisons.map((c) => el("li", { class: `decision-${c.decision}`, text: c.verdict }))),
    el("p", { class: "muted rule" }, "判定规则：校正（Holm）后显著，且随时可看的序贯区间排除 0，才算胜出或更差；",
      `对照组为名为 control / ctrl / A / baseline 的组，否则按名称排第一的组（本实验：${rep.control}）。`),
    prior ? el("p", { class: "muted prior", text: prior }) : null,
    el("h2", { text: `各组${metricName}（对照组：${rep.control}）` }),
    table(["组", "发送", "送达", "点击", "转化", metricName, "95% 区间"],
      rep.variants.map((v) => [v.variant, int(v.sent), int(v.delivered), int(v.clicked), int(v.converted),
        rate(v.rate), interval(v.rate_ci, rate)]),
      [false, true, true, true, true, true, true]),
    el("h2", { text: "与对照组比较" }),
    table(["组", revenue ? "差值" : "差值（百分点）", "差值区间", "相对提升", "提升区间", "p", "p（Holm）", "胜过对照的概率", "检验"],
      rep.comparisons.map((c) => [c.variant, diff(c.diff), interval(c.diff_ci, diff),
        c.lift === null ? "–" : pct(c.lift), interval(c.lift_ci, (x) => pct(x)), fmtP(c.p_value), fmtP(c.p_holm),
        pct(c.prob_beat_control, 0), c.test]),
      [false, true, true, true, true, true, true, true, false]),
    el("h2", { text: `图表：各组${metricName}及区间 · 发送时段热力图` }),
    el("img", { class: "chart", src: chart, alt: `实验 ${rep.experiment}：各组${metricName}及区间、发送时段热力图`, loading: "lazy" }),
    rep.best_hours.length ? el("p", {}, "效果最好的发送时段（北京时间）：",
      rep.best_hours.slice(0, 3).map((h) => `${String(h.hour).padStart(2, "0")}:00（${pct(h.rate, 2)}）`).join("，")) : null,
    segments.length ? el("h2", { text: "分群对比（按 BH 校正后的 p 排序，前 10）" }) : null,
    segments.length ? table(["维度", "取值", "组", "发送", "比率", "差值", "p（BH）"],
      segments.map((s) => [s.dimension, s.value, s.variant, int(s.sent), rate(s.rate), diff(s.diff), fmtP(s.p_bh)]),
      [false, false, false, true, true, true, true]) : null,
    ...scorecard(rep),
    tooFew.length ? el("p", { class: "muted too-few" }, "样本太少（某组在该分群只有 0–1 条），未比较：",
      tooFew.slice(0, 10).map((s) => `${s.dimension}=${s.value}（${s.variant}）`).join("，")) : null,
  ];
  out.replaceChildren(...parts.filter(Boolean));
}

async function show() {
  const mine = ++sequence;
  const name = pick.value;
  if (!name) return;
  const url = `/v1/ab/${encodeURIComponent(name)}?metric=${encodeURIComponent(metricBox.value)}`;
  history.replaceState(null, "", `?experiment=${encodeURIComponent(name)}&metric=${encodeURIComponent(metricBox.value)}`);
  out.replaceChildren(el("p", { class: "muted", text: "计算中…" }));
  try {
    const rep = await fetchJSON(url);
    if (mine === sequence) render(rep);
  } catch (err) {
    if (mine === sequence) out.replaceChildren(el("p", { class: "error", text: `出错：${err.message}` }));
  }
}

async function load() {
  const params = new URLSearchParams(location.search);
  let names = [];
  try {
    names = (await fetchJSON("/v1/ab")).experiments;
  } catch (err) {
    out.replaceChildren(el("p", { class: "error", text: `出错：${err.message}` }));
    return;
  }
  if (!names.length) {
    out.replaceChildren(el("p", { class: "muted" },
      "还没有实验数据。用 xinshi ab ingest 导入发送事件，或运行 xinshi ab demo 生成一个示例实验。"));
    return;
  }
  pick.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
  if (names.includes(params.get("experiment"))) pick.value = params.get("experiment");
  if (params.get("metric")) metricBox.value = params.get("metric");
  show();
}

pick.addEventListener("change", show);
metricBox.addEventListener("change", show);
load();
