//! The daemon's counters and latency histograms for `GET /metrics`, kept with the `prometheus-client`
//! crate and written in the OpenMetrics text format that Prometheus scrapes. Request handlers and the commit
//! thread update them through handles made once, so that counting takes no lookup; the gauges that come
//! from the engine are set at scrape time. In multi-node mode [`LogMetrics`] adds the shared log's lag,
//! entries applied, Redis errors and reconnects.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::model::Status;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The routes requests are counted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// POST /v1/articles.
    PostArticles,
    /// GET /v1/articles/{id}.
    GetArticle,
    /// DELETE /v1/articles/{id}.
    DeleteArticle,
    /// GET /v1/clusters/{id}.
    GetCluster,
    /// GET /v1/stories/{id} and /v1/stories/{id}/clusters.
    GetStory,
    /// GET /v1/clusters (trending).
    ListClusters,
    /// GET /v1/stories (trending).
    ListStories,
    /// POST /v1/query.
    Query,
    /// POST /v1/prune.
    Prune,
    /// GET /v1/stats.
    Stats,
    /// /healthz, /readyz.
    Health,
    /// GET /metrics.
    Metrics,
    /// The page: GET /.
    Page,
    /// Anything else (unknown routes, wrong methods, bad paths).
    Other,
}

/// Every route, in the order of [`Route`], with its label.
const ROUTES: [(Route, &str); 14] = [
    (Route::PostArticles, "post_articles"),
    (Route::GetArticle, "get_article"),
    (Route::DeleteArticle, "delete_article"),
    (Route::GetCluster, "get_cluster"),
    (Route::GetStory, "get_story"),
    (Route::ListClusters, "list_clusters"),
    (Route::ListStories, "list_stories"),
    (Route::Query, "query"),
    (Route::Prune, "prune"),
    (Route::Stats, "stats"),
    (Route::Health, "health"),
    (Route::Metrics, "metrics"),
    (Route::Page, "page"),
    (Route::Other, "other"),
];

type Labels = Vec<(&'static str, &'static str)>;

fn latency() -> Histogram {
    Histogram::new(BUCKETS)
}

/// What `/metrics` reports about the shared log (multi-node mode only).
#[derive(Debug, Default)]
pub struct LogMetrics {
    /// Entries in the log that this node has not applied yet (sampled about once a second).
    pub lag_entries: Gauge,
    /// Age of the oldest entry not applied yet when the node last read the log (0 when it had applied
    /// everything), by Redis's clock against this node's.
    pub lag_seconds: Gauge<f64, AtomicU64>,
    /// Entries applied (or skipped as unreadable) since start.
    pub applied: Counter,
    /// Redis commands and connection attempts that failed.
    pub redis_errors: Counter,
    /// Connections to Redis made again after one broke or could not be made.
    pub reconnects: Counter,
    /// 1 once this node stopped applying the log (a gap, an entry it cannot read): its lag no longer
    /// moves, so this is what an alert watches.
    pub halted: Gauge,
}

impl LogMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "storyhash_log_lag_entries",
            "Entries of the shared log not applied on this node yet",
            self.lag_entries.clone(),
        );
        registry.register(
            "storyhash_log_lag_seconds",
            "Age of the oldest entry of the shared log not applied on this node when it last read the log",
            self.lag_seconds.clone(),
        );
        registry.register(
            "storyhash_log_entries_applied",
            "Entries of the shared log applied on this node since start",
            self.applied.clone(),
        );
        registry.register(
            "storyhash_log_redis_errors",
            "Redis commands and connection attempts that failed",
            self.redis_errors.clone(),
        );
        registry.register(
            "storyhash_log_reconnects",
            "Connections to Redis made again after one broke or could not be made",
            self.reconnects.clone(),
        );
        registry.register(
            "storyhash_log_halted",
            "1 once this node stopped applying the shared log (its /readyz says why); its lag no longer moves",
            self.halted.clone(),
        );
    }
}

/// Everything `/metrics` reports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Articles newly stored, by status (`Status::to_byte` order).
    ingested: [Counter; 3],
    /// Articles re-posted with an id already stored with the same text: answered, nothing stored.
    pub replayed: Counter,
    /// Write requests the store refused (an empty id or title, an id stored with another text); a body
    /// refused before it reaches the store is not counted.
    pub rejected: Counter,
    /// Write requests answered 503 because the queue was full.
    pub shed: Counter,
    /// Group commits that stored something (one flush each).
    pub commits: Counter,
    /// Time to make a group commit durable.
    pub flush: Histogram,
    /// Articles stored whose publication time was unreadable (the engine's count, taken at scrape time).
    unreadable_times: Counter,
    /// Prunes made (`POST /v1/prune`, `--retain`, or applied from a shared log), the articles they took,
    /// and when the last was.
    prunes: Counter,
    pruned: Counter,
    last_prune: Gauge,
    requests: Vec<Histogram>,
    responses: [Counter; 3],
    articles: Gauge,
    clusters: Gauge,
    stories: Gauge,
    ready_gauge: Gauge,
    queue_gauge: Gauge,
    /// Articles waiting for the commit thread (read and updated by the commit queue).
    pub queue_depth: AtomicU64,
    /// Set once a write or flush failed: the store is no longer writable.
    pub store_failed: AtomicBool,
    /// The shared log's measures, in multi-node mode.
    pub log: Option<LogMetrics>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(false)
    }
}

impl Metrics {
    /// The daemon's measures; with `log`, those of the shared log too.
    pub fn new(log: bool) -> Metrics {
        let mut registry = Registry::default();
        let ingested_family = Family::<Labels, Counter>::default();
        let ingested = [Status::New, Status::Duplicate, Status::NearDuplicate].map(|s| {
            ingested_family
                .get_or_create(&vec![("status", s.as_str())])
                .clone()
        });
        registry.register(
            "storyhash_articles_ingested",
            "Articles newly stored, by the status they were given",
            ingested_family,
        );
        let replayed = Counter::default();
        registry.register(
            "storyhash_articles_replayed",
            "Articles re-posted with an id already stored with the same text (answered, nothing stored)",
            replayed.clone(),
        );
        let rejected = Counter::default();
        registry.register(
            "storyhash_articles_rejected",
            "Write requests the store refused (an empty id or title, an id stored with another text); a body refused before it reaches the store (malformed JSON, over a limit) is not counted",
            rejected.clone(),
        );
        let shed = Counter::default();
        registry.register(
            "storyhash_requests_shed",
            "Write requests answered 503 because the queue was full",
            shed.clone(),
        );
        let queue_gauge = Gauge::default();
        registry.register(
            "storyhash_queue_depth",
            "Articles waiting for the commit thread",
            queue_gauge.clone(),
        );
        let commits = Counter::default();
        registry.register(
            "storyhash_commits",
            "Group commits that stored something (one flush each)",
            commits.clone(),
        );
        let unreadable_times = Counter::default();
        registry.register(
            "storyhash_articles_unreadable_time",
            "Articles stored since start whose published field was in no form storyhash reads, or more than a day after their arrival (their time is their arrival)",
            unreadable_times.clone(),
        );
        let prunes = Counter::default();
        registry.register(
            "storyhash_prunes",
            "Prunes made since start (POST /v1/prune, or --retain as the daemon runs; with a shared log, every prune this node applied, those it replayed while catching up included)",
            prunes.clone(),
        );
        let pruned = Counter::default();
        registry.register(
            "storyhash_articles_pruned",
            "Articles those prunes took",
            pruned.clone(),
        );
        let last_prune = Gauge::default();
        registry.register(
            "storyhash_last_prune_timestamp_seconds",
            "When the last prune was made, in Unix seconds (0: none since start); with --retain, an alert on its age says the retention stopped",
            last_prune.clone(),
        );
        let articles = Gauge::default();
        registry.register(
            "storyhash_articles",
            "Live articles in the store",
            articles.clone(),
        );
        let clusters = Gauge::default();
        registry.register(
            "storyhash_clusters",
            "Clusters with live members",
            clusters.clone(),
        );
        let stories = Gauge::default();
        registry.register(
            "storyhash_stories",
            "Stories with live members",
            stories.clone(),
        );
        let ready_gauge = Gauge::default();
        registry.register(
            "storyhash_ready",
            "Whether the store is open and writable",
            ready_gauge.clone(),
        );
        let flush = latency();
        registry.register(
            "storyhash_flush_seconds",
            "Time to make a group commit durable",
            flush.clone(),
        );
        let request_family =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        let requests = ROUTES
            .iter()
            .map(|(_, label)| {
                request_family
                    .get_or_create(&vec![("route", *label)])
                    .clone()
            })
            .collect();
        registry.register(
            "storyhash_request_seconds",
            "Request latency, by route",
            request_family,
        );
        let response_family = Family::<Labels, Counter>::default();
        let responses = ["2xx", "4xx", "5xx"].map(|class| {
            response_family
                .get_or_create(&vec![("class", class)])
                .clone()
        });
        registry.register(
            "storyhash_responses",
            "Responses, by status class",
            response_family,
        );
        Metrics {
            ingested,
            replayed,
            rejected,
            shed,
            commits,
            flush,
            unreadable_times,
            prunes,
            pruned,
            last_prune,
            requests,
            responses,
            articles,
            clusters,
            stories,
            ready_gauge,
            queue_gauge,
            queue_depth: AtomicU64::new(0),
            store_failed: AtomicBool::new(false),
            log: log.then(|| {
                let measures = LogMetrics::default();
                measures.register(&mut registry);
                measures
            }),
            registry,
        }
    }
}

/// What the engine holds, read at scrape time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Live articles.
    pub articles: u64,
    /// Clusters with live members.
    pub clusters: u64,
    /// Stories with live members.
    pub stories: u64,
    /// Whether the store is open and writable.
    pub ready: bool,
    /// Articles stored since the engine opened whose publication time could not be read.
    pub unreadable_times: u64,
}

impl Metrics {
    /// Counts a newly stored article.
    pub fn ingested(&self, status: Status) {
        self.ingested[status.to_byte() as usize].inc();
    }

    /// Counts a prune made at `at` (Unix seconds) that took `articles`: by this daemon once durable, or
    /// applied from a shared log (every node counts each prune it applies, whichever node was asked for
    /// it, and a node catching up counts those it replays).
    pub fn pruned(&self, articles: u64, at: i64) {
        self.prunes.inc();
        self.pruned.inc_by(articles);
        self.last_prune.set(at);
    }

    /// Articles newly stored since the daemon started.
    pub fn stored(&self) -> u64 {
        self.ingested.iter().map(Counter::get).sum()
    }

    /// Records a request's route, status code and latency.
    pub fn request(&self, route: Route, code: u16, elapsed: Duration) {
        self.requests[route as usize].observe(elapsed.as_secs_f64());
        let class = match code {
            200..=399 => 0,
            400..=499 => 1,
            _ => 2,
        };
        self.responses[class].inc();
    }

    /// The OpenMetrics text exposition, with the gauges read from the engine.
    pub fn render(&self, gauges: Gauges) -> String {
        let set = |g: &Gauge, v: u64| g.set(i64::try_from(v).unwrap_or(i64::MAX));
        set(&self.articles, gauges.articles);
        set(&self.clusters, gauges.clusters);
        set(&self.stories, gauges.stories);
        set(&self.ready_gauge, u64::from(gauges.ready));
        set(&self.queue_gauge, self.queue_depth.load(Ordering::Relaxed));
        // The engine keeps the count; the counter follows it and never goes back (the daemon opens its
        // engine once, and a scrape before that reads 0).
        self.unreadable_times
            .inner()
            .fetch_max(gauges.unreadable_times, Ordering::Relaxed);
        let mut out = String::with_capacity(8192);
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
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
        let text = m.render(Gauges::default());
        assert!(
            text.contains("storyhash_request_seconds_count{route=\"prune\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("storyhash_request_seconds_count{route=\"query\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("storyhash_responses_total{class=\"2xx\"} 1\n"),
            "{text}"
        );
    }

    #[test]
    fn replays_are_counted_apart_from_stored_articles() {
        let m = Metrics::default();
        m.ingested(Status::New);
        m.replayed.inc();
        m.replayed.inc();
        let text = m.render(Gauges {
            articles: 1,
            clusters: 1,
            stories: 1,
            ready: true,
            unreadable_times: 0,
        });
        for line in [
            "storyhash_articles_ingested_total{status=\"new\"} 1\n",
            "storyhash_articles_replayed_total 2\n",
            "storyhash_articles 1\n",
            "storyhash_ready 1\n",
        ] {
            assert!(text.contains(line), "no {line:?} in {text}");
        }
    }

    #[test]
    fn the_log_is_measured_only_in_multi_node_mode() {
        assert!(!Metrics::default()
            .render(Gauges::default())
            .contains("storyhash_log"));
        let m = Metrics::new(true);
        let log = m.log.as_ref().unwrap();
        log.lag_entries.set(3);
        log.lag_seconds.set(0.25);
        log.applied.inc_by(7);
        log.redis_errors.inc();
        log.reconnects.inc();
        log.halted.set(1);
        let text = m.render(Gauges::default());
        for line in [
            "storyhash_log_lag_entries 3\n",
            "storyhash_log_lag_seconds 0.25\n",
            "storyhash_log_entries_applied_total 7\n",
            "storyhash_log_redis_errors_total 1\n",
            "storyhash_log_reconnects_total 1\n",
            "storyhash_log_halted 1\n",
        ] {
            assert!(text.contains(line), "no {line:?} in {text}");
        }
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.flush.observe(0.0003);
        m.flush.observe(0.003);
        m.flush.observe(60.0);
        let out = m.render(Gauges::default());
        assert!(
            out.contains("storyhash_flush_seconds_bucket{le=\"0.0005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("storyhash_flush_seconds_bucket{le=\"0.005\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("storyhash_flush_seconds_bucket{le=\"10.0\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("storyhash_flush_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("storyhash_flush_seconds_count 3\n"), "{out}");
    }

    #[test]
    fn unreadable_times_follow_the_engine_and_never_go_back() {
        let m = Metrics::default();
        let count = |n| Gauges {
            unreadable_times: n,
            ..Gauges::default()
        };
        assert!(m
            .render(count(2))
            .contains("storyhash_articles_unreadable_time_total 2\n"));
        // A scrape before the engine is open reads 0: the counter keeps what it had.
        assert!(m
            .render(count(0))
            .contains("storyhash_articles_unreadable_time_total 2\n"));
        assert!(m
            .render(count(5))
            .contains("storyhash_articles_unreadable_time_total 5\n"));
    }
}
