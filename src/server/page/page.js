// The daemon's page: trending stories over a chosen period (each opens in place to its clusters and
// members), a paste box that asks /v1/query, and a counter; it polls and updates the list in place, so
// that what the reader opened, where the page is scrolled and where the keyboard is stay as they were. It
// uses only the public JSON routes. Marks for tests and tools: <html data-ready> once the first list is
// shown, data-renders counting list renders, data-loaded on an opened story once its clusters are shown,
// data-answered on the verdict box. Its routes are asked for relative to the page's own address, so that
// it works behind a proxy that serves the daemon under a path of its own (`https://host/news/`).

const PERIODS = { "1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400 };
// The keys the daemon reads an article's fields from (`serve --id-field url`), put in by the daemon.
const KEYS = /*KEYS*/;
const POLL_MS = 10000;
const BINS = 24;
// How many stories, clusters of a story and texts of a cluster are shown at first, and added by each
// "show more" (the routes' own limits: 1,000 stories; clusters × texts at most 10,000).
const STEP = 20;
const MAX_STORIES = 1000;
const MAX_LINES = 10000;

const params = new URLSearchParams(location.search);
const state = {
  period: PERIODS[params.get("period")] ? params.get("period") : "24h",
  stories: STEP,             // stories asked for
  open: new Set(),           // story ids shown open
  openClusters: new Set(),   // cluster ids shown open
  shown: new Map(),          // story id -> { clusters, members } asked for when open
  loaded: new Map(),         // story id -> the answer its open box shows (unchanged answers are not redrawn)
  stats: null,
  lastStats: null,
  rate: null,
  renders: 0,
  answeredAt: null,          // when the daemon last answered a refresh
  down: false,               // whether the last refresh went unanswered
};

async function getJSON(path, options) {
  const r = await fetch(path, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
  return body;
}

// Tells screen readers something once (the counter, which changes with every refresh, is not read out).
function announce(text) {
  const el = document.getElementById("status");
  if (el.textContent !== text) el.textContent = text;
}

// Articles a second over the last refresh: with a tenth below 10, so that a slow feed (a few articles in
// ten seconds) does not read as none.
function rateText(rate) {
  if (rate === null) return "–";
  if (rate > 0 && rate < 10) return rate.toFixed(1);
  return num(Math.round(rate));
}

function renderCounter() {
  const s = state.stats;
  const el = document.getElementById("counter");
  if (!s) return;
  const count = (n, one, many) => [h("b", null, num(n)), ` ${n === 1 ? one : many} · `];
  const parts = [
    ...count(s.articles, "article", "articles"),
    ...count(s.stories, "story", "stories"),
    ...count(s.clusters, "cluster", "clusters"),
    h("b", null, rateText(state.rate)), " ingested/s",
  ];
  const text = parts.map((p) => (p instanceof Node ? p.textContent : p)).join("");
  if (el.textContent !== text) el.replaceChildren(...parts);
}

async function refreshStats() {
  const s = await getJSON("v1/stats");
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

function storyHeadContent(s, w) {
  const label = `${plural(s.growth, "arrival")} over the period`;
  return [
    h("span", { class: "headline" }, bidi(s.representative)),
    latestLine(s),
    h("span", { class: "meta" },
      h("span", { class: "growth" }, `+${num(s.growth)}`), " · ",
      plural(s.size, "article"), " · ", sourceCount(s.sources), " · ",
      plural(s.clusters, "cluster"), " · first ", when(s.first_seen, w.now, w.suffix), " · last ",
      when(s.last_seen, w.now, w.suffix)),
    sparkline(s.arrivals, 120, 30, label),
  ].filter(Boolean);
}

function storyItem(s, w) {
  const open = state.open.has(s.id);
  const head = h("button", {
    type: "button", class: "story-head", "aria-expanded": String(open),
    "aria-controls": `story-${s.id}-detail`, onclick: () => toggle(s.id),
  }, storyHeadContent(s, w));
  return h("li", { class: open ? "story open" : "story", "data-story": s.id }, head,
    h("div", { class: "detail", id: `story-${s.id}-detail`, hidden: !open }));
}

// A story already shown takes its new figures in its own head, so that its box and the focus stay.
function updateStoryItem(li, s, w) {
  li.querySelector(":scope > .story-head").replaceChildren(...storyHeadContent(s, w));
}

// Makes `parent`'s children `wanted`, in order, moving only those out of place.
function placeChildren(parent, wanted) {
  const keep = new Set(wanted);
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  wanted.forEach((el, i) => {
    const at = parent.children[i];
    if (at !== el) parent.insertBefore(el, at || null);
  });
}

// The lines a reader's place is kept by: a story's head, its box's lines and its clusters' lines.
const LINES = ".story-head, .detail > p, .detail > button, details.cluster > summary, ul.members > li, details.cluster > button";

// Where a line is, told so that the same line can be found after its box is redrawn: its story, its
// cluster (if in one) and its place among the lines there.
function lineKey(el) {
  const li = el.closest("li.story");
  if (!li) return null;
  const cluster = el.closest("details.cluster");
  const within = cluster || li;
  const line = el.closest(LINES) || el;
  return { story: li.dataset.story, cluster: cluster ? cluster.dataset.cluster : null,
    index: [...within.querySelectorAll(LINES)].indexOf(line) };
}

function lineOf(key) {
  const li = document.querySelector(`li.story[data-story="${key.story}"]`);
  if (!li) return null;
  const within = key.cluster ? li.querySelector(`details.cluster[data-cluster="${key.cluster}"]`) : li;
  if (!within) return li;
  return [...within.querySelectorAll(LINES)][key.index] || within;
}

// What the reader is looking at in `root`: the focused line when it is on screen, else the first line on
// screen, with where it stands in the window, so that a refresh can put it back there.
function scrollAnchor(root) {
  const onScreen = (el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight && r.height > 0;
  };
  const focused = document.activeElement;
  let el = focused && root.contains(focused) && onScreen(focused) ? focused : null;
  el = el || [...root.querySelectorAll(LINES)].find(onScreen) || null;
  const key = el && lineKey(el);
  return key ? { key, top: el.getBoundingClientRect().top } : null;
}

function restoreAnchor(a) {
  const el = a && lineOf(a.key);
  if (el) window.scrollBy(0, el.getBoundingClientRect().top - a.top);
}

// Relative times ("5 min ago") move on with the clock, including in boxes that are not redrawn.
function retime(root, w) {
  for (const t of root.querySelectorAll("time[datetime]")) {
    const text = ago(t.getAttribute("datetime"), w.now, w.suffix);
    if (t.textContent !== text) t.textContent = text;
  }
}

async function renderList() {
  const stats = state.stats || await refreshStats();
  const w = window_(stats);
  const q = new URLSearchParams({ since: w.since.toISOString().replace(/\.\d+Z$/, "Z"),
    until: w.until.toISOString().replace(/\.\d+Z$/, "Z"), limit: String(state.stories), bins: String(BINS) });
  const list = await getJSON(`v1/stories?${q}`);
  // Where the reader is, taken before anything above it changes (the note below may come or go).
  const ol = document.getElementById("stories");
  const anchor = scrollAnchor(ol);
  const focused = document.activeElement;
  const note = document.getElementById("anchor-note");
  if (w.archive) {
    note.hidden = false;
    note.textContent = `Nothing arrived in the last ${state.period}: the period counts back from the newest ` +
      `article (${exact(stats.newest)}).`;
  } else {
    note.hidden = true;
  }
  ol.dataset.query = q.toString();
  const existing = new Map([...ol.querySelectorAll(":scope > li.story")].map((li) => [li.dataset.story, li]));
  const items = list.stories.map((s) => {
    const li = existing.get(String(s.id));
    if (!li) return storyItem(s, w);
    updateStoryItem(li, s, w);
    return li;
  });
  placeChildren(ol, items.length ? items : [h("li", { class: "empty" }, "No story grew in this period.")]);
  const listed = new Set(list.stories.map((s) => s.id));
  for (const id of [...state.loaded.keys()]) if (!listed.has(id)) state.loaded.delete(id);
  // What was open stays open, its box redrawn only where its answer changed.
  await Promise.all(list.stories.filter((s) => state.open.has(s.id)).map((s) => loadDetail(s.id, w, true)));
  retime(ol, w);
  renderMoreStories(list.stories.length);
  // A line moved in the list loses the focus on the way; it comes back, without scrolling.
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  restoreAnchor(anchor);
  state.renders += 1;
  document.documentElement.dataset.renders = String(state.renders);
  document.documentElement.dataset.ready = "1";
}

// A button under the list for the next stories, while the list is as long as what was asked for.
function renderMoreStories(shown) {
  const box = document.getElementById("more-stories");
  const more = shown >= state.stories && state.stories < MAX_STORIES;
  if (!more) box.replaceChildren();
  else if (!box.firstChild) {
    box.append(moreButton(`Show ${STEP} more stories`, () => {
      state.stories = Math.min(MAX_STORIES, state.stories + STEP);
      renderList().catch(showError);
    }));
  }
}

function clusterBlock(c, w, story) {
  const copies = copiesOf(c);
  const moreTexts = c.texts - c.members.length;
  const details = h("details", { class: "cluster", "data-cluster": c.id, open: state.openClusters.has(c.id) },
    h("summary", null, bidi(c.representative), h("span", { class: "copies" }, copies)),
    h("ul", { class: "members" }, c.members.map((m) => h("li", null,
      isWeb(m.url) ? h("a", { href: m.url, rel: "noopener noreferrer", target: "_blank" }, bidi(m.title)) : bidi(m.title),
      repeatNote(m),
      h("span", { class: "meta" }, " · ", creditOf(m), " · ", when(m.time, w.now, w.suffix))))),
    moreTexts > 0 ? moreButton(`Show ${plural(Math.min(STEP, moreTexts), "more text")} of ${num(moreTexts)}`,
      () => showMore(story, "members")) : null);
  details.addEventListener("toggle", () => {
    if (details.open) state.openClusters.add(c.id); else state.openClusters.delete(c.id);
  });
  return details;
}

function moreButton(text, onclick) {
  return h("button", { type: "button", class: "more", onclick }, text);
}

// Shows more clusters of a story, or more texts of each of its clusters, within the route's limit.
function showMore(id, what) {
  const shown = state.shown.get(id) || { clusters: STEP, members: STEP };
  if (what === "clusters") shown.clusters += STEP; else shown.members += STEP;
  const cap = what === "clusters" ? Math.floor(MAX_LINES / shown.members) : Math.floor(MAX_LINES / shown.clusters);
  shown[what] = Math.min(shown[what], cap, 1000);
  state.shown.set(id, shown);
  loadDetail(id, window_(state.stats));
}

// The focused line of an open story's box, told as `lineKey` tells it, so that its redrawn twin can take
// the focus back.
function focusKey(box) {
  const el = document.activeElement;
  return el && box.contains(el) ? lineKey(el) : null;
}

function refocus(key) {
  const line = key && lineOf(key);
  if (!line) return;
  const focusable = "a, button, summary";
  const el = line.matches(focusable) ? line : line.querySelector(focusable);
  if (el) el.focus({ preventScroll: true });
}

// Shows story `id`'s clusters in its box; `anchored`: the caller keeps the reader's place.
async function loadDetail(id, w, anchored) {
  const li = document.querySelector(`li.story[data-story="${id}"]`);
  if (!li) return;
  const box = li.querySelector(".detail");
  const shown = state.shown.get(id) || { clusters: STEP, members: STEP };
  try {
    const answer = await fetch(`v1/stories/${id}/clusters?clusters=${shown.clusters}&members=${shown.members}`);
    const text = await answer.text();
    if (!answer.ok) {
      let message = `${answer.status} ${answer.statusText}`;
      try { message = JSON.parse(text).error || message; } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    // The same answer as the box shows: nothing to redraw (the times move on in `retime`).
    if (state.loaded.get(id) === text && li.dataset.loaded === "1") return;
    const s = JSON.parse(text);
    const anchor = anchored ? null : scrollAnchor(li);
    const key = focusKey(box);
    const moreClusters = s.clusters_total - s.clusters.length;
    box.replaceChildren(
      h("p", { class: "meta" }, plural(s.size, "article"), " in ", plural(s.clusters_total, "cluster"),
        fromSources(s.sources)),
      ...s.clusters.map((c) => clusterBlock(c, w, id)),
      ...(moreClusters > 0
        ? [moreButton(`Show ${plural(Math.min(STEP, moreClusters), "more cluster")} of ${num(moreClusters)}`,
          () => showMore(id, "clusters"))]
        : []));
    refocus(key);
    restoreAnchor(anchor);
    state.loaded.set(id, text);
    li.dataset.loaded = "1";
  } catch (e) {
    state.loaded.delete(id);
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

function pressPeriod(p) {
  for (const b of document.querySelectorAll("#periods button")) {
    b.setAttribute("aria-pressed", String(b.dataset.period === p));
  }
  const url = new URL(location.href);
  url.searchParams.set("period", p);
  history.replaceState(null, "", url);
}

function setPeriod(p) {
  const before = state.period;
  state.period = p;
  state.stories = STEP;
  pressPeriod(p);
  return renderList().catch((e) => {
    // A list already shown stays, under the period it is for, and the page says what failed.
    if (document.querySelector("#stories > li.story") && before !== p) {
      state.period = before;
      pressPeriod(before);
      showStale(`Could not load the list for ${p} (${e.message}): the list below is for ${before}`);
    } else {
      showError(e);
    }
  });
}

function showError(e) {
  document.getElementById("stories").replaceChildren(h("li", { class: "error" }, `Could not load: ${e.message}`));
}

// The list stays as it was, dimmed, and the counter says why.
function showStale(text) {
  const again = `trying again every ${POLL_MS / 1000} s`;
  document.getElementById("counter").textContent = `${text}; ${again}.`;
  document.getElementById("stories").classList.add("stale");
}

async function check(event) {
  event.preventDefault();
  const title = document.getElementById("paste-title-input").value.trim();
  const source = document.getElementById("paste-source").value.trim();
  const body = document.getElementById("paste-body").value.trim();
  const box = document.getElementById("verdict");
  delete box.dataset.answered;
  if (!title) {
    box.replaceChildren(h("div", { class: "verdict error" }, "Paste a headline to check: this one is blank."));
    box.dataset.answered = "blank";
    return;
  }
  // Without an id, so that the query judges the headline alone. Under the daemon's keys, the title last:
  // a key read for several fields holds the title.
  const article = Object.create(null); // whatever the keys, `__proto__` too, are the article's own
  if (source) article[KEYS.source] = source;
  if (body) article[KEYS.body] = body;
  // In an archive, the headline is judged as arriving with its newest article: arriving now, every
  // story of the archive would be long closed to it.
  const archive = state.stats && window_(state.stats).archive;
  if (archive) article[KEYS.published] = state.stats.newest;
  article[KEYS.title] = title;
  try {
    const v = await getJSON("v1/query", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(article) });
    // Stored articles that came with a body are matched on headline and body together.
    // Without a body, "new" says only that no headline alone is close: an article stored with its body,
    // even one of this very headline, is matched on both.
    const words = { new: body ? "New: nothing stored is close enough"
      : "No match for the headline alone: an article stored with a body is matched on headline and body " +
        "together, so paste its body too to check against it",
      duplicate: "Duplicate",
      near_duplicate: "Near-duplicate" };
    const parts = [h("span", { class: `status ${v.status}` }, words[v.status] || v.status)];
    if (v.duplicate_of !== null) {
      // The matched article named by its headline, which says more than its id.
      let matched = null;
      try {
        matched = await getJSON(`v1/articles/${encodeURIComponent(v.duplicate_of)}`);
      } catch (_) { /* removed since: its id alone */ }
      if (matched) {
        parts.push(" of “", h("b", { "data-matched": v.duplicate_of }, bidi(matched.title)), `” (article ${v.duplicate_of})`);
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
        story = await getJSON(`v1/stories/${v.story}?limit=1`);
      } catch (_) { /* a story it would found again after its old one closed does not exist yet */ }
    }
    // A copy founds a story of its own only when the story of what it matched is closed to it (an exact
    // copy keeps a story that has run its week, and hears that it would join it).
    const founds = v.status === "new" ? "It would start a new story."
      : "It would start a new story: the story of the article it matches is closed to it (a story takes " +
        "no article a day after its latest, nor a week after its first).";
    const storyLine = story
      ? h("p", { "data-joins-story": story.id }, "It would join the story “", h("b", null, bidi(story.representative)),
        `” (${plural(story.size, "article")}).`)
      : h("p", { "data-joins-story": "" }, founds);
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

// A time of day as the rest of the page gives times: in UTC, and saying so.
const utcTime = (d) => `${d.toISOString().slice(11, 19)} UTC`;

async function poll() {
  const list = document.getElementById("stories");
  try {
    await refreshStats();
    await renderList();
    state.answeredAt = new Date();
    list.classList.remove("stale");
    if (state.down) announce("The daemon answers again.");
    state.down = false;
  } catch (e) {
    if (state.answeredAt) {
      showStale(`The daemon has not answered since ${utcTime(state.answeredAt)} (${e.message}): the list below ` +
        "is as it was then");
    } else {
      showStale(`The daemon does not answer (${e.message})`);
    }
    if (!state.down) announce("The daemon does not answer; the list is as it was.");
    state.down = true;
  }
  setTimeout(poll, POLL_MS);
}

refreshStats().then(() => {
  state.answeredAt = new Date();
  return setPeriod(state.period);
}).catch(showError).finally(() => setTimeout(poll, POLL_MS));
