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
    /// Members shown per listed cluster.
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
    /// Records read and decided.
    pub records: u64,
    /// Records skipped as unreadable (`--on-error skip`).
    pub skipped: u64,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
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

/// The cluster-size histogram as an SVG: bins 1, 2, 3–4, 5–8, … (doubling), bar heights on a log scale.
fn histogram(sizes: &[(u64, u64)]) -> String {
    let mut bins: Vec<(u64, u64, u64)> = Vec::new(); // (from, to, clusters)
    for &(size, n) in sizes {
        let (from, to) = if size <= 2 {
            (size, size)
        } else {
            let hi = size.next_power_of_two();
            (hi / 2 + 1, hi)
        };
        match bins.last_mut() {
            Some(b) if b.0 == from => b.2 += n,
            _ => bins.push((from, to, n)),
        }
    }
    let (width, height, top, bottom) = (520.0_f64, 200.0_f64, 18.0_f64, 34.0_f64);
    let bar = width / bins.len().max(1) as f64;
    let max = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1) as f64;
    let mut svg = format!(
        r#"<svg class="hist" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="Clusters by size">"#
    );
    for (i, &(from, to, n)) in bins.iter().enumerate() {
        let h = ((n as f64).ln_1p() / max.ln_1p()) * (height - top - bottom);
        let x = i as f64 * bar;
        let label = if from == to {
            from.to_string()
        } else {
            format!("{from}–{to}")
        };
        let _ = write!(
            svg,
            r#"<g><title>{} clusters of {} articles</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"#,
            thousands(n),
            label,
            x + 2.0,
            height - bottom - h,
            (bar - 4.0).max(1.0),
            h,
            x + bar / 2.0,
            height - bottom - h - 4.0,
            thousands(n),
            x + bar / 2.0,
            height - bottom + 14.0,
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
    let mut story_json = Vec::with_capacity(stories.len());
    for s in &stories {
        let Some(folded) = engine
            .story_clusters(s.id, caps.clusters_per_story, caps.members_per_cluster)
            .map_err(io::Error::other)?
        else {
            continue;
        };
        story_json.push(json!({
            "id": folded.id,
            "size": folded.size,
            "sources": folded.sources,
            "representative": folded.representative,
            "first_seen": format_rfc3339(folded.first_seen),
            "last_seen": format_rfc3339(folded.last_seen),
            "clusters_total": folded.clusters_total,
            "clusters": folded.clusters.iter().map(|c| json!({
                "id": c.id,
                "size": c.size,
                "sources": c.sources,
                "texts": c.texts,
                "representative": c.representative,
                "members": c.members.iter().map(|m| json!({
                    "title": m.title,
                    "source": m.source,
                    "url": m.url,
                    "time": format_rfc3339(m.time),
                    "repeats": m.repeats,
                })).collect::<Vec<Value>>(),
            })).collect::<Vec<Value>>(),
        }));
    }
    let clusters = engine
        .trending(i64::MIN, caps.clusters)
        .map_err(io::Error::other)?;
    let mut cluster_json = Vec::with_capacity(clusters.len());
    for c in &clusters {
        let Some(detail) = engine
            .cluster_detail(c.id, 0, caps.members)
            .map_err(io::Error::other)?
        else {
            continue;
        };
        cluster_json.push(json!({
            "id": detail.id,
            "size": detail.size,
            "representative": detail.representative,
            "first_seen": format_rfc3339(detail.first_seen),
            "last_seen": format_rfc3339(detail.last_seen),
            "source_names": detail.sources,
            "members": detail.members.iter().map(|m| json!({
                "title": m.title,
                "source": m.source,
                "time": format_rfc3339(m.time),
            })).collect::<Vec<Value>>(),
        }));
    }
    let rows = [
        ("Records read", thousands(run.records)),
        ("Articles kept", thousands(stats.articles)),
        ("New (founded a cluster)", thousands(stats.new)),
        ("Exact duplicates", thousands(stats.duplicates)),
        ("Near-duplicates", thousands(stats.near_duplicates)),
        ("Clusters", thousands(overview.clusters)),
        ("Stories", thousands(overview.stories)),
        ("Skipped as unreadable", thousands(run.skipped)),
        ("Time taken", format!("{:.2} s", run.seconds)),
    ];
    let mut summary = String::from(r#"<table class="summary" id="summary">"#);
    for (label, value) in rows {
        let _ = write!(
            summary,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(label),
            escape(&value)
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
    let cap_note = format!(
        "Listing the {} largest of {} stories (up to {} clusters each, {} lines per cluster) and the {} \
         largest of {} clusters (up to {} members each); the verdicts file has every article.",
        thousands(story_json.len() as u64),
        thousands(overview.stories),
        caps.clusters_per_story,
        caps.members_per_cluster,
        thousands(cluster_json.len() as u64),
        thousands(overview.clusters),
        caps.members,
    );
    let data = json!({ "stories": story_json, "clusters": cluster_json });
    // Inside a script element, `</` must not appear: `<\/` is the same JSON.
    let data = serde_json::to_string(&data)
        .unwrap_or_else(|_| "{}".into())
        .replace("</", "<\\/");
    let title = if run.inputs.is_empty() {
        "standard input".to_string()
    } else {
        run.inputs.join(", ")
    };
    let subtitle = format!(
        "{} · {} articles in {:.2} s",
        title,
        thousands(run.records),
        run.seconds
    );
    let html = TEMPLATE
        .replacen("{{TITLE}}", &escape(&title), 1)
        .replacen("{{SUBTITLE}}", &escape(&subtitle), 1)
        .replacen("{{SUMMARY}}", &summary, 1)
        .replacen("{{HISTOGRAM}}", &histogram(&engine.cluster_sizes()), 1)
        .replacen("{{CAP_NOTE}}", &escape(&cap_note), 1)
        .replacen("/*STYLE*/", STYLE, 1)
        .replacen("//SCRIPT", &format!("{COMMON_JS}\n{SCRIPT}"), 1)
        .replacen("{{DATA}}", &data, 1);
    out.write_all(html.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_doubles_its_bins_and_labels_each() {
        let svg = histogram(&[(1, 900), (2, 40), (3, 7), (4, 3), (7, 1), (40, 1)]);
        for label in [">1<", ">2<", ">3–4<", ">5–8<", ">33–64<", ">900<", ">10<"] {
            assert!(svg.contains(label), "no {label} in {svg}");
        }
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
