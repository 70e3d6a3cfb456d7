// The report's lists: the largest stories (each with its clusters folded) and the largest clusters, read
// from the JSON embedded in the file, filtered as the reader types. Marks for tests and tools: <html
// data-ready> once rendered; #matches says how many match.

const data = JSON.parse(document.getElementById("data").textContent);

// Text as the search compares it: lowercase, accents and the kinds of apostrophe and quote set aside, so
// that "Nicolas Maduro" finds "Nicolás Maduro" and "Trump's" finds "Trump’s".
const folded = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").replace(/[’‘ʼ`´]/g, "'")
  .replace(/[“”„]/g, "\"").toLowerCase();

function memberLine(m) {
  return h("li", null, isWeb(m.url) ? h("a", { href: m.url, rel: "noopener noreferrer" }, bidi(m.title)) : bidi(m.title),
    repeatNote(m),
    h("span", { class: "meta" }, " · ", creditOf(m), " · ",
      h("time", { datetime: m.time }, exact(m.time)), " · id ", m.id));
}

// A cluster's member lines, and how many of its texts did not fit.
function memberList(c) {
  return [h("ul", { class: "members" }, c.members.map(memberLine)),
    c.texts > c.members.length ? h("p", { class: "muted" }, `and ${plural(c.texts - c.members.length, "more text")}`) : null];
}

// What a search reads of a cluster: its headline, its id as its lines show it, and its members' titles,
// sources and ids.
const clusterWords = (c) => [c.representative, `cluster ${c.id}`,
  ...c.members.flatMap((m) => [m.title, m.source || "", m.id])];

function clusterDetails(c) {
  const copies = copiesOf(c);
  const details = h("details", { class: "cluster", "data-cluster": c.id },
    h("summary", null, bidi(c.representative), h("span", { class: "copies" }, copies, ` · cluster ${c.id}`)),
    ...memberList(c));
  // What a search finds in it, so that a story opened by a search opens the clusters that hold the match.
  details.dataset.text = folded(clusterWords(c).join("\n"));
  return details;
}

// The ids a story or cluster had before others merged into it, as earlier verdict lines give them.
function mergedNote(kind, ids) {
  if (!ids.length) return null;
  const shown = ids.slice(0, 20).map((id) => `${kind} ${id}`).join(", ");
  return ` · earlier ids: ${shown}${ids.length > 20 ? ` and ${ids.length - 20} more` : ""}`;
}

function storyItem(s) {
  const detail = h("div", { class: "detail", hidden: true },
    h("p", { class: "meta" }, `story ${s.id} · `, plural(s.size, "article"), " in ", plural(s.clusters_total, "cluster"), fromSources(s.sources),
      " · ", exact(s.first_seen), " to ", exact(s.last_seen), mergedNote("story", s.merged)),
    s.clusters.map(clusterDetails),
    s.clusters_total > s.clusters.length ? h("p", { class: "muted" }, moreClusters(s)) : null);
  const li = h("li", { class: "story", "data-story": s.id });
  const head = h("button", { type: "button", class: "story-head", "aria-expanded": "false",
    onclick: () => setOpen(li, detail.hidden) }, h("span", { class: "headline" }, bidi(s.representative)), latestLine(s),
  h("span", { class: "meta" }, plural(s.size, "article"), " · ", sourceCount(s.sources), " · ",
    plural(s.clusters_total, "cluster"), " · ", days(s.first_seen, s.last_seen), ` · story ${s.id}`));
  li.append(head, detail);
  // The ids the verdict lines give (story, cluster, article) find what they name.
  li.dataset.text = folded([s.representative, s.latest, `story ${s.id}`, ...s.merged.map((id) => `story ${id}`),
    ...s.clusters.flatMap(clusterWords)].join("\n"));
  li.dataset.ids = idLines(s.clusters.flatMap((c) => c.members));
  return li;
}

// The clusters of a story that are not shown, and how large they are at most (the smallest shown is as
// large as any of them, or larger: some of that size may be among them).
function moreClusters(s) {
  const hidden = s.clusters_total - s.clusters.length;
  const smallest = Math.min(...s.clusters.map((c) => c.size));
  return `and ${plural(hidden, "more cluster")}, of at most ${plural(smallest, "article")} each`;
}

// The ids of the members shown, one per line as `id N` (and a line before the first), which `id N`
// finds whole.
function idLines(members) {
  return `\n${members.map((m) => `id ${m.id}`).join("\n")}\n`.toLowerCase();
}

function clusterItem(c) {
  const li = h("li", { class: "story", "data-cluster": c.id });
  const detail = h("div", { class: "detail", hidden: true },
    h("p", { class: "meta" }, `cluster ${c.id} · `, exact(c.first_seen), " to ", exact(c.last_seen), " · sources: ",
      c.source_names.join(", ") || "none", mergedNote("cluster", c.merged)),
    ...memberList(c));
  const head = h("button", { type: "button", class: "story-head", "aria-expanded": "false",
    onclick: () => setOpen(li, detail.hidden) }, h("span", { class: "headline" }, bidi(c.representative)),
  h("span", { class: "meta" }, plural(c.size, "article"), " · ", sourceCount(c.sources), ` · cluster ${c.id}`));
  li.append(head, detail);
  li.dataset.text = folded([...clusterWords(c), ...c.merged.map((id) => `cluster ${id}`), ...c.source_names]
    .join("\n"));
  li.dataset.ids = idLines(c.members);
  return li;
}

const stories = data.stories.map(storyItem);
const clusters = data.clusters.map(clusterItem);
document.getElementById("stories").replaceChildren(...stories);
document.getElementById("clusters").replaceChildren(...clusters);
// A run that read nothing has no lists to search.
document.getElementById("lists").hidden = !stories.length && !clusters.length;

// The first few stories and clusters a search finds are opened, and in a story the clusters holding the
// match, so that the lines that match show; what a search opened closes with the next one.
const OPENED_BY_SEARCH = 5;
let openedBySearch = [];

// Opens or closes a story's or cluster's line, as a click on its head does.
function setOpen(li, open) {
  li.querySelector(".detail").hidden = !open;
  li.classList.toggle("open", open);
  li.querySelector(".story-head").setAttribute("aria-expanded", String(open));
}

// Shows the items of `list` that `hits` finds for `q` (all for none), opening the first few and in them
// the clusters holding the match; how many it found.
function showFound(list, q, hits) {
  let found = 0;
  for (const li of list) {
    const hit = !q || hits(li);
    li.hidden = !hit;
    found += hit;
    if (q && hit && found <= OPENED_BY_SEARCH && !li.classList.contains("open")) {
      setOpen(li, true);
      openedBySearch.push(li);
      for (const d of li.querySelectorAll("details.cluster")) {
        if (!d.open && d.dataset.text.includes(q)) { d.open = true; openedBySearch.push(d); }
      }
    }
  }
  return found;
}

function filter() {
  const typed = document.getElementById("search").value;
  const q = folded(typed.trim().replace(/\s+/g, " "));
  // An id as the lines show it ("story 12", "id 2588") finds that id, not story 120 nor id 25880: it is
  // matched as a whole line. Words ("id theft") still find the headlines that hold them.
  const whole = /^(story|cluster) \d+$/.test(q);
  const asId = /^id \S/.test(q);
  const hits = (li) => whole ? `\n${li.dataset.text}\n`.includes(`\n${q}\n`)
    : li.dataset.text.includes(q) || (asId && li.dataset.ids.includes(`\n${q}\n`));
  for (const el of openedBySearch) {
    if (el.tagName === "DETAILS") el.open = false;
    else setOpen(el, false);
  }
  openedBySearch = [];
  const s = showFound(stories, q, hits);
  const c = showFound(clusters, q, hits);
  const matches = document.getElementById("matches");
  // Only what the lists hold is searched: the largest stories and clusters, and the lines shown of each.
  matches.textContent = q ? `Of those listed, ${plural(s, "story", "stories")} and ${plural(c, "cluster")} match “${q}”` : "";
  matches.dataset.stories = String(s);
  matches.dataset.clusters = String(c);
  // The search in the address, so that a filtered view can be kept or shared (`?q=`).
  const url = new URL(location.href);
  if (typed.trim()) url.searchParams.set("q", typed.trim());
  else url.searchParams.delete("q");
  try {
    if (url.href !== location.href) history.replaceState(null, "", url);
  } catch {
    // A browser that keeps a file's address as it is (some do for file://) keeps the search in the box.
  }
}

document.getElementById("search").addEventListener("input", filter);
const initial = new URLSearchParams(location.search).get("q");
if (initial) document.getElementById("search").value = initial;
filter();
// Back from an article's page, the browser puts back what the box held after this script ran: the lists
// follow it.
window.addEventListener("pageshow", filter);
document.documentElement.dataset.ready = "1";
