//! The daemon's counters and latency histograms, kept in atomics so that request handlers and the commit
//! thread update them without locks, and written out in the Prometheus text format for `GET /metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::model::Status;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| secs <= b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let total = self.count.load(Ordering::Relaxed);
        let braces = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!("{{{s}}}")
            }
        };
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {total}");
        let _ = writeln!(
            out,
            "{name}_sum{} {}",
            braces(labels),
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count{} {total}", braces(labels));
    }
}

/// The routes requests are counted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// POST /v1/articles.
    PostArticles,
    /// GET /v1/articles/{id}.
    GetArticle,
    /// DELETE /v1/articles/{id}.
    DeleteArticle,
    /// GET /v1/clusters/{id} and /v1/stories/{id}.
    GetGroup,
    /// GET /v1/clusters (trending).
    ListClusters,
    /// POST /v1/query.
    Query,
    /// POST /v1/prune.
    Prune,
    /// /healthz, /readyz, /metrics.
    Health,
    /// Anything else (unknown routes, wrong methods, bad paths).
    Other,
}

/// Every route, in the order of [`Metrics::requests`], with its label.
const ROUTES: [(Route, &str); 9] = [
    (Route::PostArticles, "post_articles"),
    (Route::GetArticle, "get_article"),
    (Route::DeleteArticle, "delete_article"),
    (Route::GetGroup, "get_cluster"),
    (Route::ListClusters, "list_clusters"),
    (Route::Query, "query"),
    (Route::Prune, "prune"),
    (Route::Health, "health"),
    (Route::Other, "other"),
];

/// Everything `/metrics` reports, besides what is read from the engine at scrape time.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Articles ingested, by status (new, duplicate, near_duplicate).
    pub ingested: [AtomicU64; 3],
    /// Articles refused (bad input, id conflict).
    pub rejected: AtomicU64,
    /// Requests answered 503 because the write queue was full.
    pub shed: AtomicU64,
    /// Articles waiting for the commit thread.
    pub queue_depth: AtomicU64,
    /// Group commits done.
    pub commits: AtomicU64,
    /// Flush latency.
    pub flush: Histogram,
    /// Request latency, by route (`Route as usize`).
    pub requests: [Histogram; ROUTES.len()],
    /// Responses by class: 2xx, 4xx, 5xx.
    pub responses: [AtomicU64; 3],
    /// Set once a write or flush failed: the store is no longer writable.
    pub store_failed: AtomicBool,
}

impl Metrics {
    /// Counts an ingested article.
    pub fn ingested(&self, status: Status) {
        self.ingested[status.to_byte() as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Records a request's route, status code and latency.
    pub fn request(&self, route: Route, code: u16, elapsed: Duration) {
        self.requests[route as usize].observe(elapsed);
        let class = match code {
            200..=399 => 0,
            400..=499 => 1,
            _ => 2,
        };
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with the gauges read from the engine.
    pub fn render(&self, articles: u64, clusters: u64, ready: bool) -> String {
        let mut out = String::with_capacity(8192);
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str(
            "# HELP storyhash_articles_ingested_total Articles ingested, by the status they were given.\n\
             # TYPE storyhash_articles_ingested_total counter\n",
        );
        for status in [Status::New, Status::Duplicate, Status::NearDuplicate] {
            let _ = writeln!(
                out,
                "storyhash_articles_ingested_total{{status=\"{}\"}} {}",
                status.as_str(),
                load(&self.ingested[status.to_byte() as usize])
            );
        }
        let _ = write!(
            out,
            "# HELP storyhash_articles_rejected_total Articles refused as bad input or conflicting ids.\n\
             # TYPE storyhash_articles_rejected_total counter\n\
             storyhash_articles_rejected_total {}\n\
             # HELP storyhash_requests_shed_total Write requests answered 503 because the queue was full.\n\
             # TYPE storyhash_requests_shed_total counter\n\
             storyhash_requests_shed_total {}\n\
             # HELP storyhash_queue_depth Articles waiting for the commit thread.\n\
             # TYPE storyhash_queue_depth gauge\n\
             storyhash_queue_depth {}\n\
             # HELP storyhash_commits_total Group commits (one flush each).\n\
             # TYPE storyhash_commits_total counter\n\
             storyhash_commits_total {}\n\
             # HELP storyhash_articles Live articles in the store.\n\
             # TYPE storyhash_articles gauge\n\
             storyhash_articles {articles}\n\
             # HELP storyhash_clusters Clusters with live members.\n\
             # TYPE storyhash_clusters gauge\n\
             storyhash_clusters {clusters}\n\
             # HELP storyhash_ready Whether the store is open and writable.\n\
             # TYPE storyhash_ready gauge\n\
             storyhash_ready {}\n",
            load(&self.rejected),
            load(&self.shed),
            load(&self.queue_depth),
            load(&self.commits),
            u8::from(ready),
        );
        out.push_str(
            "# HELP storyhash_flush_seconds Time to make a group commit durable.\n\
             # TYPE storyhash_flush_seconds histogram\n",
        );
        self.flush.write(&mut out, "storyhash_flush_seconds", "");
        out.push_str(
            "# HELP storyhash_request_seconds Request latency, by route.\n\
             # TYPE storyhash_request_seconds histogram\n",
        );
        for ((_, label), h) in ROUTES.iter().zip(&self.requests) {
            h.write(
                &mut out,
                "storyhash_request_seconds",
                &format!("route=\"{label}\""),
            );
        }
        out.push_str(
            "# HELP storyhash_responses_total Responses, by status class.\n\
             # TYPE storyhash_responses_total counter\n",
        );
        for (class, n) in ["2xx", "4xx", "5xx"].iter().zip(&self.responses) {
            let _ = writeln!(
                out,
                "storyhash_responses_total{{class=\"{class}\"}} {}",
                load(n)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_is_counted_under_its_own_label() {
        for (i, (route, _)) in ROUTES.iter().enumerate() {
            assert_eq!(*route as usize, i);
        }
        let m = Metrics::default();
        m.request(Route::Prune, 200, Duration::from_millis(1));
        let text = m.render(0, 0, true);
        assert!(
            text.contains("storyhash_request_seconds_count{route=\"prune\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("storyhash_request_seconds_count{route=\"query\"} 0\n"),
            "{text}"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        h.write(&mut out, "x", "");
        assert!(out.contains("x_bucket{le=\"0.0005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.005\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"10\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_count 3\n"), "{out}");
    }
}
