// A/B page: GET /v1/ab (experiments), GET /v1/ab/{experiment} (report), the PNG charts.
"use strict";

const pick = document.getElementById("experiment");
const metricBox = document.getElementById("metric");
const out = document.getElementById("report");
let sequence = 0;
const PLAIN = ["sample ratio mismatch", "split slightly off plan", "read early"];

function fmtP(p) { return p === null || p === undefined ? "–" : p < 0.001 ? "< 0.001" : p.toFixed(3); }
function points(x) { return x === null || x === undefined ? "–" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}`; }
function interval(ci, f) { return ci ? `${f(ci[0])} … ${f(ci[1])}` : "–"; }
function int(n) { return n === null || n === undefined ? "–" : n.toLocaleString("zh-CN"); }

function srmBanner(srm, variants) {
  const counts = variants.map((v, i) => `${v.variant} ${int(srm.observed[i])}`).join("，");
  if (srm.flagged) {
    return el("div", { class: "banner block srm" },
      el("strong", { text: "分流比例异常（SRM）：" }),
      `各组实际发送量（${counts}）与计划的分流比例明显不符（p = ${fmtP(srm.p_value)}）。`,
      "这通常说明分组或发送环节出了问题；先查明原因，在此之前下面的结论都不可信。");
  }
  if (srm.level === "yellow") {
    return el("div", { class: "banner warn srm" },
      `分流比例略偏离计划（${counts}，p = ${fmtP(srm.p_value)}），结论暂可参考，但请留意。`);
  }
  return el("div", { class: "banner ok srm" }, `分流正常：各组发送量（${counts}）符合计划比例。`);
}

function table(headers, rows, numeric) {
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h, i) => el("th", { class: numeric[i] ? "num" : null, text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => el("td", { class: numeric[i] ? "num" : null, text: c })))))));
}

function render(rep) {
  const revenue = rep.metric === "revenue";
  const rate = revenue ? (x) => (x === null ? "–" : `¥${(x / 100).toFixed(2)}`) : (x) => pct(x, 2);
  const diff = revenue ? (x) => (x === null ? "–" : `${x >= 0 ? "+" : ""}¥${(x / 100).toFixed(2)}`) : points;
  const power = rep.power || {};
  const early = power.per_arm !== undefined && power.needed_for_10pct_lift && power.per_arm < power.needed_for_10pct_lift;
  const chart = `/v1/ab/${encodeURIComponent(rep.experiment)}/chart.png?metric=${encodeURIComponent(rep.metric)}`;
  const segments = rep.segments.filter((s) => s.diff !== null && s.p_bh !== null)
    .sort((a, b) => a.p_bh - b.p_bh).slice(0, 10);
  const parts = [
    srmBanner(rep.srm, rep.variants),
    early ? el("div", { class: "banner warn" },
      `样本还不够：每组 ${int(power.per_arm)} 条，要看出 10% 的提升约需每组 ${int(power.needed_for_10pct_lift)} 条。现在下结论为时过早。`) : null,
    // the SRM and read-early warnings are shown in plain words above; the rest as the report says
    ...rep.warnings.filter((w) => !PLAIN.some((p) => w.startsWith(p)))
      .map((w) => el("div", { class: "banner warn", text: w })),
    el("h2", { text: "结论" }),
    el("ul", { class: "plain verdicts" }, rep.comparisons.map((c) => el("li", { text: c.verdict }))),
    el("h2", { text: `各组${revenue ? "每条收入" : "比率"}（对照组：${rep.control}）` }),
    table(["组 variant", "发送 sent", "送达", "点击", "转化", `${rep.metric} 比率`, "95% 区间"],
      rep.variants.map((v) => [v.variant, int(v.sent), int(v.delivered), int(v.clicked), int(v.converted),
        rate(v.rate), interval(v.rate_ci, rate)]),
      [false, true, true, true, true, true, true]),
    el("h2", { text: "与对照组比较" }),
    table(["组", revenue ? "差值" : "差值（百分点）", "差值区间", "相对提升", "提升区间", "p", "p（Holm）", "胜过对照的概率", "检验"],
      rep.comparisons.map((c) => [c.variant, diff(c.diff), interval(c.diff_ci, diff),
        c.lift === null ? "–" : pct(c.lift), interval(c.lift_ci, (x) => pct(x)), fmtP(c.p_value), fmtP(c.p_holm),
        pct(c.prob_beat_control, 0), c.test]),
      [false, true, true, true, true, true, true, true, false]),
    el("h2", { text: "图表：各组比率及区间 · 发送时段热力图" }),
    el("img", { class: "chart", src: chart, alt: `${rep.experiment} ${rep.metric} 图表`, loading: "lazy" }),
    rep.best_hours.length ? el("p", {}, "效果最好的发送时段（北京时间）：",
      rep.best_hours.slice(0, 3).map((h) => `${String(h.hour).padStart(2, "0")}:00（${pct(h.rate, 2)}）`).join("，")) : null,
    segments.length ? el("h2", { text: "分群对比（按 BH 校正后的 p 排序，前 10）" }) : null,
    segments.length ? table(["维度", "取值", "组", "发送", "比率", "差值", "p（BH）"],
      segments.map((s) => [s.dimension, s.value, s.variant, int(s.sent), rate(s.rate), diff(s.diff), fmtP(s.p_bh)]),
      [false, false, false, true, true, true, true]) : null,
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
