"use strict";
// Helpers shared by the daemon's page and the report: building elements (text is always set as text, never
// parsed as HTML), relative times with the exact time on hover, numbers and small SVG charts.

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children.flat()) if (c) el.append(c);
  return el;
}

// Only http and https addresses become links (a stored `javascript:` URL stays text).
const isWeb = (url) => typeof url === "string" && /^https?:\/\//i.test(url);

const num = (n) => Number(n).toLocaleString("en");
const plural = (n, one, many) => `${num(n)} ${n === 1 ? one : (many || one + "s")}`;
// How many sources a story or cluster has; "no source named" when none of its articles names one.
const sourceCount = (n) => (n === 0 ? "no source named" : plural(n, "source"));
// " from 3 sources" after a count of articles, or ", no source named".
const fromSources = (n) => (n === 0 ? ", no source named" : ` from ${plural(n, "source")}`);
// A cluster's articles (copies and near-duplicates of one text), with their sources when any is named.
const copiesOf = (c) => `${plural(c.size, "article")}${c.sources > 0 ? ` from ${plural(c.sources, "source")}` : ""}`;

// Text from the feeds (headlines, sources) in an element of its own direction, so that a right-to-left
// headline neither reorders the figures around it nor is reordered by them.
const bidi = (text) => h("bdi", null, text);

// A folded member line's note of its repeats ("repeated ×9 from 4 sources"), or null for a text seen once;
// and who it is credited to: the first copy's source, said to be the first when others repeated it.
function repeatNote(m) {
  if (!(m.repeats > 1)) return null;
  const from = m.sources > 1 ? ` from ${plural(m.sources, "source")}` : "";
  return h("span", { class: "repeat" }, `repeated ×${num(m.repeats)}${from}`);
}
function creditOf(m) {
  if (!m.source) return "no source";
  return m.sources > 1 ? ["first from ", bidi(m.source)] : bidi(m.source);
}

function ago(iso, now, suffix) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  let s = Math.round(((now ?? Date.now()) - t) / 1000);
  const future = s < 0;
  s = Math.abs(s);
  let text;
  if (s < 60) text = "just now";
  else if (s < 3600) text = `${Math.round(s / 60)} min`;
  else if (s < 86400 * 2) text = `${Math.round(s / 3600)} h`;
  else if (s < 86400 * 60) text = `${Math.round(s / 86400)} days`;
  else if (s < 86400 * 730) text = `${Math.round(s / (86400 * 30.4))} months`;
  else text = `${Math.round(s / (86400 * 365.25))} years`;
  if (text === "just now") return suffix ? "at the newest" : text;
  if (suffix) return future ? `${text} after the newest` : `${text}${suffix}`;
  return future ? `in ${text}` : `${text} ago`;
}

function exact(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

// A story's latest headline under its founding one, where they differ: where the story has got to.
function latestLine(s) {
  return s.latest && s.latest !== s.representative
    ? h("span", { class: "latest" }, "latest: ", bidi(s.latest)) : null;
}

// The days a group's articles span, in UTC: one day, or the first and the last.
function days(first, last) {
  const [a, b] = [exact(first).slice(0, 10), exact(last).slice(0, 10)];
  return a === b ? a : `${a} to ${b}`;
}

function when(iso, now, suffix) {
  return h("time", { datetime: iso, title: exact(iso) }, ago(iso, now, suffix));
}

function sparkline(values, width, height, label) {
  const n = values.length || 1;
  const max = Math.max(1, ...values);
  const w = width / n;
  const bars = values.map((v, i) => {
    const bh = v === 0 ? 0 : Math.max(1.5, (v / max) * (height - 2));
    return svg("rect", { x: (i * w + 0.5).toFixed(1), y: (height - bh).toFixed(1),
      width: Math.max(1, w - 1).toFixed(1), height: bh.toFixed(1) });
  });
  const base = svg("line", { x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5, class: "base" });
  const el = svg("svg", { class: "spark", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": label }, base, bars);
  return el;
}
