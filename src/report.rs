//! The HTML report of a run (`storyhash dedupe … --report FILE`): one self-contained file that opens from
//! disk without a server — the run's summary, a histogram of cluster sizes as inline SVG (both plain HTML),
//! and the largest stories (their clusters folded) and clusters with their members, embedded as JSON and
//! listed by a small script that filters them as the reader types. The lists are capped so that the file
//! stays small for a million-article run, and the page says so. It shares its stylesheet and script
//! helpers with the daemon's page.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{json, Value};

use crate::engine::Engine;
use crate::html_assets::{COMMON_JS, STYLE};
use crate::model::{ClusterId, FoldedMember};
use crate::time::{format_rfc3339, Timestamp};

const TEMPLATE: &str = include_str!("report/report.html");
const SCRIPT: &str = include_str!("report/report.js");

/// How much of a run the report lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Largest stories listed.
    pub stories: usize,
    /// Clusters shown per story.
    pub clusters_per_story: usize,
    /// Member lines shown per cluster of a story.
    pub members_per_cluster: usize,
    /// Largest clusters listed.
    pub clusters: usize,
    /// Lines shown per listed cluster (one per distinct text).
    pub members: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            stories: 100,
            clusters_per_story: 10,
            members_per_cluster: 6,
            clusters: 200,
            members: 10,
        }
    }
}

/// What the run did, as the report's summary shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunSummary {
    /// The inputs, as named on the command line.
    pub inputs: Vec<String>,
    /// Records read and decided (not those skipped).
    pub records: u64,
    /// Records skipped as unreadable (`--on-error skip`).
    pub skipped: u64,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Articles the store held before the run (0 for a new store, or none): when there were some, the
    /// summary's counts are the whole store's and say so.
    pub held_before: u64,
    /// Records that repeated an earlier record's id and text (of the run, or held in the store before
    /// it), which added nothing.
    pub repeats: u64,
}

fn escape(text: &str) -> String {
    replaced(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    })
}

/// `text` with each character `replace` names written as what it gives.
fn replaced(text: &str, replace: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match replace(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    out
}

/// `2014-03-10 16:55:01 UTC`.
fn readable_time(t: Timestamp) -> String {
    format_rfc3339(t).replacen('T', " ", 1).replace('Z', " UTC")
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and the noun, singular for one: `1 story`, `2 stories`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// The cluster-size histogram as an SVG: bins 1, 2, 3–4, 5–8, … (doubling, every bin up to the largest
/// drawn, empty ones too), bar heights on a log scale; with many bins, the labels of every other bar sit
/// a line lower so that they do not run together. No clusters: a sentence instead.
fn histogram(sizes: &[(u64, u64)]) -> String {
    let bin_of = |size: u64| -> u32 {
        if size <= 2 {
            size.max(1) as u32 - 1
        } else {
            // 3–4 is bin 2, 5–8 bin 3, …
            64 - (size - 1).leading_zeros()
        }
    };
    let Some(last) = sizes.iter().filter(|s| s.1 > 0).map(|s| bin_of(s.0)).max() else {
        return r#"<p class="muted">No clusters: no articles were read.</p>"#.to_string();
    };
    let mut counts = vec![0u64; last as usize + 1];
    for &(size, n) in sizes.iter().filter(|s| s.1 > 0) {
        counts[bin_of(size) as usize] += n;
    }
    // Bin 64 (sizes past 2^63, which no store reaches) ends at the largest size.
    let range = |bin: usize| -> (u64, u64) {
        match bin {
            0 => (1, 1),
            1 => (2, 2),
            b => (
                (1u64 << (b - 1)) + 1,
                1u64.checked_shl(b as u32).unwrap_or(u64::MAX),
            ),
        }
    };
    let staggered = counts.len() > 8;
    let (width, height, top) = (520.0_f64, 200.0_f64, 18.0_f64);
    let bottom = if staggered { 46.0 } else { 34.0 };
    let bar = width / counts.len() as f64;
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let mut svg = format!(
        r#"<svg class="hist" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="Clusters by size">"#
    );
    for (i, &n) in counts.iter().enumerate() {
        let (from, to) = range(i);
        let h = ((n as f64).ln_1p() / max.ln_1p()) * (height - top - bottom);
        let x = i as f64 * bar;
        let label = if from == to {
            from.to_string()
        } else {
            format!("{from}–{to}")
        };
        let label_y = height - bottom + if staggered && i % 2 == 1 { 26.0 } else { 14.0 };
        let tip = format!(
            "{} of {}",
            counted(n, "cluster", "clusters"),
            if to == 1 {
                "1 article".to_string()
            } else {
                format!("{label} articles")
            }
        );
        let _ = write!(
            svg,
            r#"<g><title>{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"#,
            tip,
            x + 2.0,
            height - bottom - h,
            (bar - 4.0).max(1.0),
            h,
            x + bar / 2.0,
            height - bottom - h - 4.0,
            thousands(n),
            x + bar / 2.0,
            label_y,
            label,
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">articles per cluster (bars on a log scale)</text></svg>"#,
        width / 2.0,
        height - 4.0
    );
    svg
}

/// What the lists hold, of how many: `all 3 stories`, `the 100 largest of 5,120 stories`.
fn listed(shown: u64, total: u64, one: &str, many: &str) -> String {
    if shown >= total {
        match total {
            1 => format!("the one {one}"),
            _ => format!("all {}", counted(total, one, many)),
        }
    } else {
        format!(
            "the {} largest of {}",
            thousands(shown),
            counted(total, one, many)
        )
    }
}

/// The fields the report shows for a story and for a cluster alike, read from either's fold (the two
/// types name them the same).
macro_rules! group_head {
    ($group:expr) => {
        json!({
            "id": $group.id,
            "size": $group.size,
            "sources": $group.sources,
            "representative": $group.representative,
            "first_seen": format_rfc3339($group.first_seen),
            "last_seen": format_rfc3339($group.last_seen),
        })
    };
}
/// `head`'s fields followed by `more`'s (both JSON objects).
fn with_fields(mut head: Value, more: Value) -> Value {
    if let (Value::Object(head), Value::Object(more)) = (&mut head, more) {
        head.extend(more);
    }
    head
}

/// One line of a folded cluster, as the report's script reads it.
fn member_json(m: &FoldedMember) -> Value {
    json!({
        "id": m.id,
        "title": m.title,
        "source": m.source,
        "url": m.url,
        "time": format_rfc3339(m.time),
        "repeats": m.repeats,
        "sources": m.sources,
    })
}

/// Writes the report of what `engine` holds after a run to `out`.
pub fn write_report(
    engine: &Engine,
    run: &RunSummary,
    caps: Caps,
    out: &mut dyn Write,
) -> io::Result<()> {
    let stats = engine.stats();
    let overview = engine.overview();
    let stories = engine
        .trending_stories(i64::MIN, i64::MAX, caps.stories, 0)
        .map_err(io::Error::other)?;
    // The ids a story or a cluster had before others merged into it, which earlier verdict lines give.
    let story_ids: Vec<ClusterId> = stories.iter().map(|s| s.id).collect();
    let merged_stories = engine.merged_stories(&story_ids);
    let mut story_json = Vec::with_capacity(stories.len());
    for s in &stories {
        let Some(folded) = engine
            .story_clusters(s.id, caps.clusters_per_story, caps.members_per_cluster)
            .map_err(io::Error::other)?
        else {
            continue;
        };
        story_json.push(with_fields(
            group_head!(folded),
            json!({
                "latest": s.latest,
                "merged": merged_stories.get(&s.id).map_or(&[][..], Vec::as_slice),
                "clusters_total": folded.clusters_total,
                "clusters": folded.clusters.iter().map(|c| json!({
                    "id": c.id,
                    "size": c.size,
                    "sources": c.sources,
                    "texts": c.texts,
                    "representative": c.representative,
                    "members": c.members.iter().map(member_json).collect::<Vec<Value>>(),
                })).collect::<Vec<Value>>(),
            }),
        ));
    }
    let clusters = engine
        .trending(i64::MIN, caps.clusters)
        .map_err(io::Error::other)?;
    let cluster_ids: Vec<ClusterId> = clusters.iter().map(|c| c.id).collect();
    let merged_clusters = engine.merged_clusters(&cluster_ids);
    let mut cluster_json = Vec::with_capacity(clusters.len());
    for c in &clusters {
        // Its members one line per distinct text, with the first copy's link, as a story's clusters.
        let Some(folded) = engine
            .cluster_folded(c.id, caps.members)
            .map_err(io::Error::other)?
        else {
            continue;
        };
        // The detail adds only the sources' names (no member asked for).
        let source_names = engine
            .cluster_detail(c.id, 0, 0)
            .map_err(io::Error::other)?
            .map(|d| d.sources)
            .unwrap_or_default();
        cluster_json.push(with_fields(
            group_head!(folded),
            json!({
                "merged": merged_clusters.get(&c.id).map_or(&[][..], Vec::as_slice),
                "source_names": source_names,
                "texts": folded.texts,
                "members": folded.members.iter().map(member_json).collect::<Vec<Value>>(),
            }),
        ));
    }
    // A run that added to a store shows what the store holds: its counts are labelled as the store's.
    let label = |what: &str, more: &str| {
        if run.held_before > 0 {
            format!("{what} in the store{more}")
        } else {
            format!("{what}{more}")
        }
    };
    // Every record read, those skipped as unreadable too (counted on their own row below).
    let mut rows = vec![(
        "Records read".to_string(),
        thousands(run.records + run.skipped),
    )];
    if run.held_before > 0 {
        rows.push((
            "Articles the store held before".to_string(),
            thousands(run.held_before),
        ));
    }
    if run.repeats > 0 {
        rows.push((
            "Repeating an earlier record (same id and text)".to_string(),
            thousands(run.repeats),
        ));
    }
    rows.extend([
        (label("Articles kept", ""), thousands(stats.articles)),
        (label("New", " (founded a cluster)"), thousands(stats.new)),
        (label("Exact duplicates", ""), thousands(stats.duplicates)),
        (
            label("Near-duplicates", ""),
            thousands(stats.near_duplicates),
        ),
        (label("Clusters", ""), thousands(overview.clusters)),
        (label("Stories", ""), thousands(overview.stories)),
        ("Skipped as unreadable".to_string(), thousands(run.skipped)),
    ]);

    // Articles whose arrival stands in for a time they lack: their stories and the times shown are the
    // run's clock, which the reader of the page should know (the summary on the terminal says so too).
    if stats.untimed > 0 {
        rows.push((
            "Without a time (their arrival time stands in)".to_string(),
            thousands(stats.untimed),
        ));
    }
    if stats.unreadable_times > 0 {
        rows.push((
            "With a time in no form storyhash reads (their arrival time stands in)".to_string(),
            thousands(stats.unreadable_times),
        ));
    }
    rows.push(("Time taken".to_string(), format!("{:.2} s", run.seconds)));
    let mut summary = String::from(r#"<table class="summary" id="summary">"#);
    for (label, value) in &rows {
        let _ = write!(
            summary,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(label),
            escape(value)
        );
    }
    if let (Some(oldest), Some(newest)) = (overview.oldest, overview.newest) {
        let _ = write!(
            summary,
            "<tr><td>First article</td><td>{}</td></tr><tr><td>Last article</td><td>{}</td></tr>",
            readable_time(oldest),
            readable_time(newest)
        );
    }
    summary.push_str("</table>");
    let cap_note = if overview.stories == 0 && overview.clusters == 0 {
        "No articles were read, so there is nothing to list.".to_string()
    } else {
        format!(
            "Listing {} (up to {} clusters each, {} lines per cluster) and {} (up to {} lines \
             each); {}.",
            listed(
                story_json.len() as u64,
                overview.stories,
                "story",
                "stories"
            ),
            caps.clusters_per_story,
            caps.members_per_cluster,
            listed(
                cluster_json.len() as u64,
                overview.clusters,
                "cluster",
                "clusters"
            ),
            caps.members,
            if run.held_before > 0 {
                "the verdicts file has every article of this run, the store every article"
            } else {
                "the verdicts file has every article"
            },
        )
    };
    let data = json!({ "stories": story_json, "clusters": cluster_json });
    let data = script_json(&serde_json::to_string(&data).unwrap_or_else(|_| "{}".into()));
    let title = if run.inputs.is_empty() {
        "standard input".to_string()
    } else {
        run.inputs.join(", ")
    };
    let mut subtitle = format!(
        "{} · {} in {:.2} s",
        title,
        counted(run.records + run.skipped, "record", "records"),
        run.seconds
    );
    if run.held_before > 0 {
        let held = counted(run.held_before, "article", "articles");
        let _ = write!(subtitle, ", added to a store of {held}");
    }
    let html = fill(
        TEMPLATE,
        &[
            ("{{TITLE}}", &escape(&title)),
            ("/*STYLE*/", STYLE),
            ("{{SUBTITLE}}", &escape(&subtitle)),
            ("{{SUMMARY}}", &summary),
            ("{{HISTOGRAM}}", &histogram(&engine.cluster_sizes())),
            ("{{CAP_NOTE}}", &escape(&cap_note)),
            ("{{DATA}}", &data),
            ("//SCRIPT", &format!("{COMMON_JS}\n{SCRIPT}")),
        ],
    );
    out.write_all(html.as_bytes())
}

/// JSON text made safe inside a `<script>` element: `<`, `>` and `&` (which JSON has only inside
/// strings) written as `\u` escapes, the same JSON, so that no headline can close the element or open
/// a comment the HTML parser treats specially (`<!--` then `<script`).
fn script_json(json: &str) -> String {
    replaced(json, |c| match c {
        '<' => Some("\\u003c"),
        '>' => Some("\\u003e"),
        '&' => Some("\\u0026"),
        _ => None,
    })
}

/// `template` with each marker replaced by its value, the markers found in the order given: one pass,
/// so that no value (a file name, a headline) is searched for the markers after it.
fn fill(template: &str, parts: &[(&str, &str)]) -> String {
    let mut html =
        String::with_capacity(template.len() + parts.iter().map(|p| p.1.len()).sum::<usize>());
    let mut rest = template;
    for (marker, value) in parts {
        match rest.find(marker) {
            Some(at) => {
                html.push_str(&rest[..at]);
                html.push_str(value);
                rest = &rest[at + marker.len()..];
            }
            // The template is ours and holds every marker in this order (a test reads it).
            None => debug_assert!(
                false,
                "the report template has no {marker} after the one before"
            ),
        }
    }
    html.push_str(rest);
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report of what `engine` holds after a run of `records` records read from `inputs`.
    fn report_of(engine: &Engine, inputs: &[&str], records: u64) -> String {
        let run = RunSummary {
            inputs: inputs.iter().map(|i| i.to_string()).collect(),
            records,
            skipped: 0,
            seconds: 0.01,
            held_before: 0,
            repeats: 0,
        };
        let mut out = Vec::new();
        write_report(engine, &run, Caps::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The JSON text of a report's data element.
    fn data_block(html: &str) -> &str {
        html.split_once(r#"<script type="application/json" id="data">"#)
            .and_then(|(_, rest)| rest.split_once("</script>"))
            .map(|(data, _)| data)
            .expect("a data element")
    }

    #[test]
    fn the_histogram_doubles_its_bins_and_labels_each() {
        let svg = histogram(&[(1, 900), (2, 40), (3, 7), (4, 3), (7, 1), (8, 2), (40, 1)]);
        for label in [">1<", ">2<", ">3–4<", ">5–8<", ">33–64<", ">900<", ">10<"] {
            assert!(svg.contains(label), "no {label} in {svg}");
        }
        let tip = |svg: &str, text: &str| svg.contains(&format!("<title>{text}</title>"));
        // The empty bins between are drawn, so that the bars stand where their sizes are.
        assert_eq!(svg.matches("<rect").count(), 7, "{svg}");
        assert!(tip(&svg, "0 clusters of 9–16 articles"), "{svg}");
        assert!(tip(&svg, "900 clusters of 1 article"), "{svg}");
        assert!(tip(&svg, "3 clusters of 5–8 articles"), "{svg}");
        // 2^k ends a bin and 2^k + 1 starts the next; an empty count draws no bin of its own.
        let svg = histogram(&[(9, 1), (16, 1), (17, 1), (1000, 1), (1024, 1), (1025, 0)]);
        assert!(tip(&svg, "2 clusters of 9–16 articles"), "{svg}");
        assert!(tip(&svg, "1 cluster of 17–32 articles"), "{svg}");
        assert!(tip(&svg, "2 clusters of 513–1024 articles"), "{svg}");
        assert!(!svg.contains("1025–2048"), "{svg}");
        // Eleven bins: every other size label a line lower, so that they do not run together.
        let label_y = |svg: &str, label: &str| -> String {
            let at = svg.find(&format!(">{label}</text>")).unwrap();
            let y = &svg[..at][svg[..at].rfind("y=\"").unwrap() + 3..];
            y[..y.find('"').unwrap()].to_string()
        };
        assert_ne!(label_y(&svg, "1"), label_y(&svg, "2"), "{svg}");
        assert_eq!(label_y(&svg, "1"), label_y(&svg, "3–4"), "{svg}");
        let few = histogram(&[(1, 5), (2, 5), (3, 5)]);
        assert_eq!(label_y(&few, "1"), label_y(&few, "2"), "{few}");
        // A run without clusters gets a sentence, not an empty chart.
        assert!(!histogram(&[]).contains("<svg"));
        assert!(!histogram(&[(3, 0)]).contains("<svg"));
    }

    #[test]
    fn a_run_that_added_to_a_store_labels_the_store_s_counts_as_the_store_s() {
        let engine = Engine::in_memory(crate::EngineConfig::default()).unwrap();
        let titles = [
            "Storm hits the coast of Portugal overnight",
            "Parliament passes the budget after a long night",
            "Central bank holds rates steady as inflation cools",
            "Champions league final goes to extra time",
            "Museum returns stolen paintings to their owners",
        ];
        for (i, title) in titles.into_iter().enumerate() {
            engine
                .ingest(&crate::Article::new(format!("a{i}"), title))
                .unwrap();
        }
        let fresh = report_of(&engine, &["day.jsonl"], 5);
        assert!(
            fresh.contains("<td>Articles kept</td><td>5</td>"),
            "{fresh}"
        );
        assert!(!fresh.contains("in the store"));
        // Two of the five were this run's: the store held three before it.
        let run = RunSummary {
            inputs: vec!["day.jsonl".into()],
            records: 2,
            skipped: 0,
            seconds: 0.01,
            held_before: 3,
            repeats: 0,
        };
        let mut out = Vec::new();
        write_report(&engine, &run, Caps::default(), &mut out).unwrap();
        let added = String::from_utf8(out).unwrap();
        assert!(added.contains("2 records in 0.01 s, added to a store of 3 articles"));
        assert!(added.contains("<td>Records read</td><td>2</td>"));
        assert!(added.contains("<td>Articles the store held before</td><td>3</td>"));
        assert!(added.contains("<td>Articles kept in the store</td><td>5</td>"));
        // Records skipped as unreadable were read too: the first row and the subtitle count them.
        let skipping = RunSummary {
            skipped: 4,
            ..run.clone()
        };
        let mut out = Vec::new();
        write_report(&engine, &skipping, Caps::default(), &mut out).unwrap();
        let skipped = String::from_utf8(out).unwrap();
        assert!(skipped.contains("6 records in 0.01 s"), "{skipped}");
        assert!(skipped.contains("<td>Records read</td><td>6</td>"));
        assert!(skipped.contains("<td>Skipped as unreadable</td><td>4</td>"));
        assert!(added.contains("<td>New in the store (founded a cluster)</td><td>5</td>"));
        assert!(added.contains("the verdicts file has every article of this run, the store every"));
        assert!(
            fresh.contains("; the verdicts file has every article."),
            "{fresh}"
        );
    }

    #[test]
    fn articles_whose_arrival_stands_in_for_their_time_are_counted() {
        let engine = Engine::in_memory(crate::EngineConfig::default()).unwrap();
        engine
            .ingest(
                &crate::Article::new("c", "Central bank holds rates steady as inflation cools")
                    .with_published("2014-03-10T16:55:01Z"),
            )
            .unwrap();
        // An article with its own time: no such row.
        let timed = report_of(&engine, &[], 1);
        assert!(
            timed.contains("<td>Articles kept</td><td>1</td>"),
            "{timed}"
        );
        engine
            .ingest(&crate::Article::new(
                "a",
                "Storm hits the coast of Portugal overnight",
            ))
            .unwrap();
        engine
            .ingest(
                &crate::Article::new("b", "Parliament passes the budget after a long night")
                    .with_published("last tuesday"),
            )
            .unwrap();
        let html = report_of(&engine, &[], 3);
        assert!(
            html.contains("<td>Without a time (their arrival time stands in)</td><td>1</td>"),
            "{html}"
        );
        assert!(html.contains(
            "<td>With a time in no form storyhash reads (their arrival time stands in)</td><td>1</td>"
        ));
        assert!(!timed.contains("arrival time stands in"), "{timed}");
    }

    #[test]
    fn a_listed_cluster_folds_its_repeated_texts_and_links_the_first_copy() {
        let engine = Engine::in_memory(crate::EngineConfig::default()).unwrap();
        let title = "Storm hits the coast of Portugal overnight";
        // Three copies from two publishers: the line of their text says so.
        for (i, source) in ["Reuters", "AP", "Reuters"].into_iter().enumerate() {
            let article = crate::Article::new(format!("a{i}"), title)
                .with_url(format!("https://example.com/{i}"))
                .with_source(source);
            engine.ingest(&article).unwrap();
        }
        engine
            .ingest(&crate::Article::new(
                "b",
                "Storm hits the coast of Portugal overnight, police say",
            ))
            .unwrap();
        let html = report_of(&engine, &[], 4);
        let data: serde_json::Value = serde_json::from_str(data_block(&html)).unwrap();
        let cluster = &data["clusters"][0];
        assert_eq!(cluster["size"], 4, "{cluster}");
        assert_eq!(cluster["texts"], 2, "{cluster}");
        let members = cluster["members"].as_array().unwrap();
        assert_eq!(members.len(), 2, "{cluster}");
        assert_eq!(members[0]["repeats"], 3);
        assert_eq!(members[0]["sources"], 2, "{cluster}");
        assert_eq!(members[0]["url"], "https://example.com/0");
        assert_eq!(
            members[1]["sources"], 0,
            "a text without a source: {cluster}"
        );
    }

    #[test]
    fn no_headline_or_file_name_breaks_the_page_or_its_data() {
        let engine = Engine::in_memory(crate::EngineConfig::default()).unwrap();
        let nasty = [
            "Tutorial: comments start with <!-- and scripts with <script> here",
            "Closing tags </script> and a marker {{DATA}} //SCRIPT in a title",
            r"Ampersands & angles > and < and \u003c in a title",
        ];
        for (i, title) in nasty.iter().enumerate() {
            engine
                .ingest(&crate::Article::new(i.to_string(), *title))
                .unwrap();
        }
        let html = report_of(&engine, &["x{{DATA}}<b>.jsonl"], 3);
        // The page's two scripts, the data and the code, and no other.
        assert_eq!(html.matches("<script").count(), 2, "{html}");
        let data = data_block(&html);
        assert!(!data.contains(['<', '>', '&']), "{data}");
        let parsed: serde_json::Value = serde_json::from_str(data).unwrap();
        for title in nasty {
            assert!(parsed
                .to_string()
                .contains(&serde_json::to_string(title).unwrap()[1..]));
        }
        assert!(html.contains("<title>storyhash report — x{{DATA}}&lt;b&gt;.jsonl</title>"));
        assert!(html.contains("3 records in 0.01 s"), "{html}");
        assert!(html.contains("Listing all 3 stories"), "{html}");

        // A run that read nothing says so.
        let empty = Engine::in_memory(crate::EngineConfig::default()).unwrap();
        let html = report_of(&empty, &[], 0);
        assert!(html.contains("No articles were read, so there is nothing to list."));
        assert!(!html.contains("<svg class=\"hist\""), "no empty chart");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
