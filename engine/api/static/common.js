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

async function fetchJSON(url, options) {
  const response = await fetch(url, options);
  let data = null;
  try { data = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const err = (data && data.error) || { message: `HTTP ${response.status}` };
    const what = err.field ? `${err.field}: ${err.message}` : err.message;
    throw new Error(what);
  }
  return data;
}

function pct(x, digits = 1) {
  return x === null || x === undefined ? "–" : `${(x * 100).toFixed(digits)}%`;
}

const SEVERITY_ZH = { block: "拦截", warn: "人工复核", info: "提示" };
const VERDICT_ZH = { allow: "通过", review: "需人工复核", block: "拦截" };
