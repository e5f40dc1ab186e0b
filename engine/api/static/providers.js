// Provider scorecard page: GET /v1/providers/scorecard?since=&by= -> table + latency bars.
"use strict";

const sinceBox = document.getElementById("since");
const byBox = document.getElementById("by");
const out = document.getElementById("card");
let sequence = 0;
const CARRIER_ZH = { cmcc: "中国移动", cucc: "中国联通", ctcc: "中国电信", cbn: "中国广电", virtual: "虚拟运营商", unknown: "未知" };
const GROUP_ZH = { carrier: "运营商", region: "地区", template: "模板", lane: "通道", scene: "场景" };

function int(n) { return n === null || n === undefined ? "–" : n.toLocaleString("zh-CN"); }
function ms(x) { return x === null || x === undefined ? "–" : `${Math.round(x).toLocaleString("zh-CN")} ms`; }
function fen(x) { return x === null || x === undefined ? "–" : `${x.toFixed(2)} 分`; }
function label(r, by) {
  const parts = [r.provider, ...by.map((g) => (g === "carrier" ? CARRIER_ZH[r[g]] || r[g] : r[g]))];
  return parts.join(" · ");
}

// Horizontal bars: p50 solid, p95 light, on one scale for the whole chart.
function latencyChart(rows, by, key, title) {
  const shown = rows.filter((r) => r[key].p95 !== null);
  if (!shown.length) return null;
  const top = Math.max(...shown.map((r) => r[key].p95)) || 1;
  return el("div", { class: "latency-chart" },
    el("h3", { text: title }),
    shown.map((r) => el("div", { class: "bar-row" },
      el("span", { class: "bar-label", text: label(r, by) }),
      el("span", { class: "bar-track" },
        el("span", { class: "bar p95", style: `width:${(100 * r[key].p95 / top).toFixed(1)}%` }),
        el("span", { class: "bar p50", style: `width:${(100 * r[key].p50 / top).toFixed(1)}%` })),
      el("span", { class: "bar-value", text: `p50 ${ms(r[key].p50)} · p95 ${ms(r[key].p95)}` }))));
}

function render(card) {
  const by = card.by;
  if (!card.rows.length) {
    out.replaceChildren(el("p", { class: "muted" },
      "这段时间没有发往平台的消息。用 xinshi dispatch worker 发送后，这里会按平台统计送达率、时延和成本。"));
    return;
  }
  const noPrice = card.rows.some((r) => r.price_fen_per_segment === null);
  out.replaceChildren(...[
    el("h2", { text: "评分表" }),
    table(["平台", ...by.map((g) => GROUP_ZH[g]), "发送", "受理", "送达", "失败", "无回执", "送达率", "95% 区间",
      "提交 p50/p95", "回执 p50/p95", "计费条数", "每条送达成本", "主要失败原因"],
      card.rows.map((r) => [r.provider, ...by.map((g) => (g === "carrier" ? CARRIER_ZH[r[g]] || r[g] : r[g])),
        int(r.sent), int(r.accepted), int(r.delivered), int(r.failed), int(r.no_receipt), pct(r.delivery_rate, 2),
        r.delivery_rate_low === null ? "–" : `${pct(r.delivery_rate_low, 1)} … ${pct(r.delivery_rate_high, 1)}`,
        `${ms(r.submit_ms.p50)} / ${ms(r.submit_ms.p95)}`, `${ms(r.receipt_ms.p50)} / ${ms(r.receipt_ms.p95)}`,
        int(r.billed_segments), fen(r.cost_per_delivered_fen),
        r.top_failures.map((f) => `${f.code}（${f.meaning}）×${f.count}`).join("；") || "–"]),
      [false, ...by.map(() => false), true, true, true, true, true, true, true, true, true, true, true, false]),
    noPrice ? el("p", { class: "muted" },
      "未设置单价的平台不显示成本：启动服务时设置 XINSHI_PROVIDER_PRICES，例如 aliyun=4.5,tencent=4.2（每条计费短信的价格，单位：分）。") : null,
    el("h2", { text: "时延（深色 p50，浅色 p95）" }),
    latencyChart(card.rows, by, "submit_ms", "提交时延：调用平台接口到收到应答"),
    latencyChart(card.rows, by, "receipt_ms", "回执时延：提交到收到状态回执"),
  ].filter(Boolean));
}

async function show() {
  const mine = ++sequence;
  const params = new URLSearchParams({ since: sinceBox.value });
  if (byBox.value) params.set("by", byBox.value);
  history.replaceState(null, "", `?${params}`);
  out.replaceChildren(el("p", { class: "muted", text: "计算中…" }));
  try {
    const card = await fetchJSON(`/v1/providers/scorecard?${params}`);
    if (mine === sequence) render(card);
  } catch (err) {
    if (mine === sequence) out.replaceChildren(el("p", { class: "error", text: `出错：${err.message}` }));
  }
}

const initial = new URLSearchParams(location.search);
if (initial.get("since")) sinceBox.value = initial.get("since");
if (initial.get("by")) byBox.value = initial.get("by");
sinceBox.addEventListener("change", show);
byBox.addEventListener("change", show);
show();
