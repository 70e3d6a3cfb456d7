// The daemon's page: trending stories over a chosen period (each opens in place to its clusters and
// members), a paste box that asks /v1/query, and a counter; it polls and re-renders without closing what
// the reader opened. It uses only the public JSON routes. Marks for tests and tools: <html data-ready> once
// the first list is shown, data-renders counting list renders, data-loaded on an opened story once its
// clusters are shown, data-answered on the verdict box.

const PERIODS = { "1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400 };
const POLL_MS = 10000;
const BINS = 24;

const params = new URLSearchParams(location.search);
const state = {
  period: PERIODS[params.get("period")] ? params.get("period") : "24h",
  open: new Set(),           // story ids shown open
  openClusters: new Set(),   // cluster ids shown open
  stats: null,
  lastStats: null,
  rate: null,
  renders: 0,
  answeredAt: null,          // when the daemon last answered a refresh
};

async function getJSON(path, options) {
  const r = await fetch(path, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
  return body;
}

function renderCounter() {
  const s = state.stats;
  const el = document.getElementById("counter");
  if (!s) return;
  const count = (n, one, many) => [h("b", null, num(n)), ` ${n === 1 ? one : many} · `];
  el.replaceChildren(
    ...count(s.articles, "article", "articles"),
    ...count(s.stories, "story", "stories"),
    ...count(s.clusters, "cluster", "clusters"),
    h("b", null, state.rate === null ? "–" : num(Math.round(state.rate))), " ingested/s",
  );
}

async function refreshStats() {
  const s = await getJSON("/v1/stats");
  const at = Date.now();
  if (state.lastStats) {
    const dt = (at - state.lastStats.at) / 1000;
    if (dt > 0) state.rate = Math.max(0, (s.ingested - state.lastStats.ingested) / dt);
  }
  state.lastStats = { at, ingested: s.ingested };
  state.stats = s;
  renderCounter();
  return s;
}

// The period ends now, or at the newest article when the store holds nothing that recent (an archive).
function window_(stats) {
  const span = PERIODS[state.period];
  const now = Date.parse(stats.now);
  const newest = stats.newest ? Date.parse(stats.newest) : now;
  const archive = newest < now - span * 1000;
  const until = archive ? newest : now;
  // In an archive, times read relative to its newest article.
  return { since: new Date(until - span * 1000), until: new Date(until), archive, now: until,
    suffix: archive ? " before newest" : "" };
}

function storyItem(s, w) {
  const open = state.open.has(s.id);
  const label = `${num(s.growth)} arrivals over the period`;
  const head = h("button", {
    type: "button", class: "story-head", "aria-expanded": String(open),
    "aria-controls": `story-${s.id}-detail`, onclick: () => toggle(s.id),
  },
  h("span", { class: "headline" }, s.representative),
  h("span", { class: "meta" },
    h("span", { class: "growth" }, `+${num(s.growth)}`), " · ",
    plural(s.size, "article"), " · ", plural(s.sources, "source"), " · ",
    plural(s.clusters, "cluster"), " · first ", when(s.first_seen, w.now, w.suffix), " · last ", when(s.last_seen, w.now, w.suffix)),
  sparkline(s.arrivals, 120, 30, label));
  const li = h("li", { class: open ? "story open" : "story", "data-story": s.id }, head,
    h("div", { class: "detail", id: `story-${s.id}-detail`, hidden: !open }));
  return li;
}

async function renderList() {
  const stats = state.stats || await refreshStats();
  const w = window_(stats);
  const note = document.getElementById("anchor-note");
  if (w.archive) {
    note.hidden = false;
    note.textContent = `Nothing arrived in the last ${state.period}: the period counts back from the newest ` +
      `article (${exact(stats.newest)}).`;
  } else {
    note.hidden = true;
  }
  const q = new URLSearchParams({ since: w.since.toISOString().replace(/\.\d+Z$/, "Z"),
    until: w.until.toISOString().replace(/\.\d+Z$/, "Z"), limit: "20", bins: String(BINS) });
  const list = await getJSON(`/v1/stories?${q}`);
  const ol = document.getElementById("stories");
  ol.dataset.query = q.toString();
  const items = list.stories.map((s) => storyItem(s, w));
  // The story the keyboard is on keeps the focus through the refresh, which rebuilds the list.
  const on = document.activeElement && ol.contains(document.activeElement)
    ? document.activeElement.closest("li.story") : null;
  ol.replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, "No story grew in this period.")]));
  if (on) {
    const head = ol.querySelector(`li.story[data-story="${on.dataset.story}"] .story-head`);
    if (head) head.focus({ preventScroll: true });
  }
  // What was open stays open.
  await Promise.all(list.stories.filter((s) => state.open.has(s.id)).map((s) => loadDetail(s.id, w)));
  state.renders += 1;
  document.documentElement.dataset.renders = String(state.renders);
  document.documentElement.dataset.ready = "1";
}

function clusterBlock(c, w) {
  const copies = c.size === 1 ? "1 article" : `copies ×${num(c.size)} from ${plural(c.sources, "source")}`;
  const details = h("details", { class: "cluster", "data-cluster": c.id, open: state.openClusters.has(c.id) },
    h("summary", null, c.representative, h("span", { class: "copies" }, copies)),
    h("ul", { class: "members" }, c.members.map((m) => h("li", null,
      isWeb(m.url) ? h("a", { href: m.url, rel: "noopener noreferrer", target: "_blank" }, m.title) : m.title,
      m.repeats > 1 ? h("span", { class: "repeat" }, `repeated ×${num(m.repeats)}`) : null,
      h("span", { class: "meta" }, " · ", m.source || "no source", " · ", when(m.time, w.now, w.suffix))))),
    c.texts > c.members.length
      ? h("p", { class: "muted" }, `and ${plural(c.texts - c.members.length, "more text")}`) : null);
  details.addEventListener("toggle", () => {
    if (details.open) state.openClusters.add(c.id); else state.openClusters.delete(c.id);
  });
  return details;
}

async function loadDetail(id, w) {
  const li = document.querySelector(`li.story[data-story="${id}"]`);
  if (!li) return;
  const box = li.querySelector(".detail");
  try {
    const s = await getJSON(`/v1/stories/${id}/clusters?clusters=20&members=20`);
    const more = s.clusters_total > s.clusters.length
      ? h("p", { class: "muted" }, `and ${plural(s.clusters_total - s.clusters.length, "smaller cluster")}`) : null;
    box.replaceChildren(
      h("p", { class: "meta" }, plural(s.size, "article"), " in ", plural(s.clusters_total, "cluster"),
        " from ", plural(s.sources, "source")),
      ...s.clusters.map((c) => clusterBlock(c, w)), ...(more ? [more] : []));
    li.dataset.loaded = "1";
  } catch (e) {
    box.replaceChildren(h("p", { class: "error" }, `Could not load the story: ${e.message}`));
  }
}

async function toggle(id) {
  const li = document.querySelector(`li.story[data-story="${id}"]`);
  const open = !state.open.has(id);
  if (open) state.open.add(id); else state.open.delete(id);
  li.classList.toggle("open", open);
  li.querySelector(".story-head").setAttribute("aria-expanded", String(open));
  li.querySelector(".detail").hidden = !open;
  if (open) await loadDetail(id, window_(state.stats));
}

function setPeriod(p) {
  state.period = p;
  for (const b of document.querySelectorAll("#periods button")) {
    b.setAttribute("aria-pressed", String(b.dataset.period === p));
  }
  const url = new URL(location.href);
  url.searchParams.set("period", p);
  history.replaceState(null, "", url);
  return renderList().catch(showError);
}

function showError(e) {
  document.getElementById("stories").replaceChildren(h("li", { class: "error" }, `Could not load: ${e.message}`));
}

async function check(event) {
  event.preventDefault();
  const title = document.getElementById("paste-title-input").value.trim();
  const source = document.getElementById("paste-source").value.trim();
  const box = document.getElementById("verdict");
  delete box.dataset.answered;
  if (!title) {
    box.replaceChildren();
    return;
  }
  // An id no stored article holds, so that the query judges the headline rather than refusing an id
  // stored with another text (random bits: `crypto.randomUUID` needs a secure context, which a daemon
  // reached over plain HTTP is not).
  const bits = crypto.getRandomValues(new Uint32Array(4));
  const id = `pasted-${Array.from(bits, (b) => b.toString(16).padStart(8, "0")).join("")}`;
  const article = { id, title };
  if (source) article.source = source;
  // In an archive, the headline is judged as arriving with its newest article: arriving now, every
  // story of the archive would be long closed to it.
  const archive = state.stats && window_(state.stats).archive;
  if (archive) article.published = state.stats.newest;
  try {
    const v = await getJSON("/v1/query", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(article) });
    const words = { new: "New: nothing stored is close enough (checked by the headline alone)",
      duplicate: "Duplicate",
      near_duplicate: "Near-duplicate" };
    const parts = [h("span", { class: `status ${v.status}` }, words[v.status] || v.status)];
    if (v.duplicate_of !== null) {
      // The matched article named by its headline, which says more than its id.
      let matched = null;
      try {
        matched = await getJSON(`/v1/articles/${encodeURIComponent(v.duplicate_of)}`);
      } catch (_) { /* removed since: its id alone */ }
      if (matched) {
        parts.push(" of “", h("b", { "data-matched": v.duplicate_of }, matched.title), `” (article ${v.duplicate_of})`);
      } else {
        parts.push(` of article ${v.duplicate_of}`);
      }
      if (v.status === "near_duplicate") parts.push(` (similarity ${v.similarity.toFixed(2)})`);
      parts.push(`; its cluster would have ${plural(v.cluster_size, "article")}.`);
    }
    // A new article whose story is its own cluster's number founds that story: there is none to ask for.
    let story = null;
    if (!(v.status === "new" && v.story === v.cluster)) {
      try {
        story = await getJSON(`/v1/stories/${v.story}?limit=1`);
      } catch (_) { /* a story it would found again after its old one closed does not exist yet */ }
    }
    const storyLine = story
      ? h("p", { "data-joins-story": story.id }, "It would join the story “", h("b", null, story.representative),
        `” (${plural(story.size, "article")}).`)
      : h("p", { "data-joins-story": "" }, "It would start a new story.");
    const when = archive
      ? [h("p", { class: "note" }, `Judged as arriving with the newest article (${exact(state.stats.newest)}).`)]
      : [];
    box.replaceChildren(h("div", { class: "verdict", "data-status": v.status }, h("p", null, ...parts), storyLine,
      ...when));
    box.dataset.answered = v.status;
  } catch (e) {
    box.replaceChildren(h("div", { class: "verdict error" }, `Could not check: ${e.message}`));
    box.dataset.answered = "error";
  }
}

document.getElementById("periods").addEventListener("click", (e) => {
  const b = e.target.closest("button[data-period]");
  if (b) setPeriod(b.dataset.period);
});
document.getElementById("paste").addEventListener("submit", check);
document.getElementById("paste-title-input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); document.getElementById("paste").requestSubmit(); }
});

async function poll() {
  const list = document.getElementById("stories");
  try {
    await refreshStats();
    await renderList();
    state.answeredAt = new Date();
    list.classList.remove("stale");
  } catch (e) {
    const again = `trying again every ${POLL_MS / 1000} s`;
    const counter = document.getElementById("counter");
    if (state.answeredAt) {
      const at = state.answeredAt.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      counter.textContent = `The daemon has not answered since ${at} (${e.message}): the list below is ` +
        `as it was then; ${again}.`;
    } else {
      counter.textContent = `The daemon does not answer (${e.message}); ${again}.`;
    }
    list.classList.add("stale");
  }
  setTimeout(poll, POLL_MS);
}

refreshStats().then(() => {
  state.answeredAt = new Date();
  return setPeriod(state.period);
}).catch(showError).finally(() => setTimeout(poll, POLL_MS));
