// Shared helpers. Every piece of user or server text goes through textContent or text nodes.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Errors carry the API's code and HTTP status, so pages can say them in Chinese; "network"
// when the server cannot be reached, "timeout" when it does not answer within `timeoutMs`
// (0: wait as long as it takes, as an A/B report over a large store may).
async function fetchJSON(url, options, timeoutMs = 0) {
  const abort = new AbortController();
  const timer = timeoutMs > 0 ? setTimeout(() => abort.abort(), timeoutMs) : null;
  let response;
  try {
    response = await fetch(url, { ...options, signal: abort.signal });
  } catch (_) {
    throw Object.assign(new Error(abort.signal.aborted ? "timeout" : "network"),
      { code: abort.signal.aborted ? "timeout" : "network", status: 0 });
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try { data = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const err = (data && data.error) || { message: `HTTP ${response.status}` };
    const what = err.field ? `${err.field}: ${err.message}` : err.message;
    throw Object.assign(new Error(what), { code: err.code || "http", status: response.status });
  }
  return data;
}

// The Chinese sentence for an error from fetchJSON; the server's own (English) text is detail.
function errorZh(err) {
  const known = {
    network: "无法连接服务器：服务可能已停止或网络中断。恢复后会自动重新检查，也可以点“重试”。",
    timeout: "服务器长时间没有响应，请稍后点“重试”。",
    unauthorized: "没有权限：服务器要求 API 密钥。",
    forbidden: "没有权限：这个 API 密钥不能执行此操作。",
  };
  if (known[err.code]) return known[err.code];
  if (/_disabled$/.test(err.code || "")) return "服务器没有开启这项功能（需要配置相应的 API 密钥）。";
  if (err.status >= 500) return `服务器出错（HTTP ${err.status}），请稍后点“重试”。`;
  return `请求被拒绝（HTTP ${err.status}）。`;
}

function pct(x, digits = 1) {
  return x === null || x === undefined ? "–" : `${(x * 100).toFixed(digits)}%`;
}

// A table that becomes one block per row on a phone: each cell repeats its header as a label
// (hidden on wide screens, and from screen readers, which read the real header).
function table(headers, rows, numeric) {
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h, i) => el("th", { scope: "col", class: numeric[i] ? "num" : null, text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => el("td", { class: numeric[i] ? "num" : null },
      el("span", { class: "cell-label", "aria-hidden": "true", text: headers[i] }), c)))))));
}

// Industries and provider profiles of rules/ruleset.yaml, as copywriters name them (an unknown
// one is shown by its own name).
const INDUSTRY_ZH = {
  retail: "零售", ecommerce: "电商", travel: "旅游出行", air: "航空", hotel: "酒店", finance: "金融",
  loan: "贷款", insurance: "保险", investment: "投资理财", medical: "医疗", health_food: "保健食品",
  food: "食品", cosmetics: "化妆品", education: "教育", real_estate: "房地产", game: "游戏",
  logistics: "物流", telecom: "通信", government: "政务", other: "其他",
};
const PROFILE_ZH = {
  default: "默认", aliyun: "阿里云", tencent: "腾讯云", huawei: "华为云", huawei_iot: "华为云 IoT",
  qiniu: "七牛云",
};
const TYPE_ZH = { marketing: "营销", notification: "通知", verification: "验证码" };
function industryZh(name) { return INDUSTRY_ZH[name] || name; }
function profileZh(name) { return PROFILE_ZH[name] || name; }

const SEVERITY_ZH = { block: "拦截", warn: "人工复核", info: "提示" };
const VERDICT_ZH = { allow: "通过", review: "需人工复核", block: "拦截" };
const CATEGORY_ZH = {
  absolute_claim: "绝对化用语", contact_diversion: "私下导流", forbidden_industry: "通道禁发行业",
  format: "格式", fraud: "疑似诈骗", gambling: "赌博", industry_claim: "行业宣称", length: "长度与计费",
  link_policy: "链接", medical_claim: "医疗宣称", pornography: "色情", price_disclosure: "价格标示",
  privacy: "个人信息", prohibited_goods: "违禁物品", refund_disclosure: "退改说明",
  risk_disclosure: "风险提示", send_window: "发送时段", signature: "签名", template_type: "短信类型",
  unsubscribe: "退订", verification_code: "验证码",
};
// A rule's kind (how it checks), for the /rules details line.
const KIND_ZH = {
  contact: "联系方式识别", forbidden: "禁用词", length: "长度", link: "链接检查", model: "内容模型",
  obfuscation: "变形写法", otp_code: "验证码格式", pattern: "文字模式", placement: "位置",
  required: "必备内容", conditional: "条件必备", send_window: "发送时段", signature: "签名检查",
};
