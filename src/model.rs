//! Shared domain types: the [`Article`] a caller hands in, the [`Verdict`] the engine hands back, and the
//! views of stored articles and clusters. Every other module speaks in these terms; none of them knows how
//! the types are read from files or kept on disk.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// A cluster's identity: the sequence number of the article that founded it. Once given it never changes;
/// a cluster that merges into an older one keeps pointing at it.
pub type ClusterId = u64;

/// One news article as a crawler saw it. Only `id` and `title` are required.
///
/// The fields borrow where they can, so that a reader can hand in articles that point into its input
/// buffer; [`Article::into_owned`] detaches one. An article also deserializes (owned) from JSON or any
/// self-describing serde format by the rules of the JSON Lines reader (see its `Deserialize`
/// implementation): `serde_json::from_str::<Article>(line)` needs no struct of one's own.
///
/// ```
/// use storyhash::Article;
///
/// struct Item { guid: String, title: String, feed: Option<String>, link: Option<String> }
/// let item = Item { guid: "g1".into(), title: "Storm hits the coast".into(), feed: None, link: Some("https://example.com/1".into()) };
/// let article = Article::new(item.guid.as_str(), item.title.as_str())
///     .with_source_opt(item.feed.as_deref())
///     .with_url_opt(item.link.as_deref())
///     .with_published_time(std::time::SystemTime::now());
/// assert_eq!(article.source, None);
/// assert!(article.published.is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Article<'a> {
    /// Caller's identifier, unique within a store.
    pub id: Cow<'a, str>,
    /// The headline.
    pub title: Cow<'a, str>,
    /// Article text or description, used for matching when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Cow<'a, str>>,
    /// Publisher, for example "Reuters"; a trailing " - Reuters" in the title is dropped when it names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Cow<'a, str>>,
    /// Canonical URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<Cow<'a, str>>,
    /// Publication time as the source gave it (RFC 3339 preferred; the forms read are those of
    /// [`Timestamp::parse`](crate::Timestamp::parse)). One that does not read, or lies more than a day
    /// after the article's arrival, is not refused: the article takes its arrival time instead (see
    /// [`Engine::ingest`](crate::Engine::ingest)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<Cow<'a, str>>,
}

impl<'a> Article<'a> {
    /// An article with just an id and a headline.
    pub fn new(id: impl Into<Cow<'a, str>>, title: impl Into<Cow<'a, str>>) -> Self {
        Article {
            id: id.into(),
            title: title.into(),
            ..Article::default()
        }
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: impl Into<Cow<'a, str>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets the source (builder style).
    pub fn with_source(mut self, source: impl Into<Cow<'a, str>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Sets the URL (builder style).
    pub fn with_url(mut self, url: impl Into<Cow<'a, str>>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the publication time as the source gave it (builder style); see
    /// [`Timestamp::parse`] for the forms it is read in.
    pub fn with_published(mut self, published: impl Into<Cow<'a, str>>) -> Self {
        self.published = Some(published.into());
        self
    }

    /// Sets the publication time from a [`SystemTime`](std::time::SystemTime) or a [`Timestamp`]
    /// (builder style); it is kept as RFC 3339 text.
    pub fn with_published_time(self, time: impl Into<Timestamp>) -> Self {
        self.with_published(time.into().to_string())
    }

    /// Sets or clears the body (builder style).
    pub fn with_body_opt<T: Into<Cow<'a, str>>>(mut self, body: Option<T>) -> Self {
        self.body = body.map(Into::into);
        self
    }

    /// Sets or clears the source (builder style).
    pub fn with_source_opt<T: Into<Cow<'a, str>>>(mut self, source: Option<T>) -> Self {
        self.source = source.map(Into::into);
        self
    }

    /// Sets or clears the URL (builder style).
    pub fn with_url_opt<T: Into<Cow<'a, str>>>(mut self, url: Option<T>) -> Self {
        self.url = url.map(Into::into);
        self
    }

    /// Sets or clears the publication time as the source gave it (builder style).
    pub fn with_published_opt<T: Into<Cow<'a, str>>>(mut self, published: Option<T>) -> Self {
        self.published = published.map(Into::into);
        self
    }

    /// A copy that borrows every field from this one (no allocation).
    pub fn borrowed(&self) -> Article<'_> {
        Article {
            id: Cow::Borrowed(&self.id),
            title: Cow::Borrowed(&self.title),
            body: self.body.as_deref().map(Cow::Borrowed),
            source: self.source.as_deref().map(Cow::Borrowed),
            url: self.url.as_deref().map(Cow::Borrowed),
            published: self.published.as_deref().map(Cow::Borrowed),
        }
    }

    /// Detaches the article from the buffer it borrows from.
    pub fn into_owned(self) -> Article<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        Article {
            id: own(self.id),
            title: own(self.title),
            body: self.body.map(own),
            source: self.source.map(own),
            url: self.url.map(own),
            published: self.published.map(own),
        }
    }
}

/// How an article relates to what the engine had seen before it. These three are the whole of the
/// deduplication outcome (and are stored as such), so a `match` on them is exhaustive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing earlier was similar enough: the article founded a cluster.
    New,
    /// An earlier article has the same text after normalisation.
    Duplicate,
    /// An earlier article's estimated similarity reached the threshold.
    NearDuplicate,
}

impl Status {
    /// The name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Duplicate => "duplicate",
            Status::NearDuplicate => "near_duplicate",
        }
    }

    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Status::New => 0,
            Status::Duplicate => 1,
            Status::NearDuplicate => 2,
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<Status> {
        match b {
            0 => Some(Status::New),
            1 => Some(Status::Duplicate),
            2 => Some(Status::NearDuplicate),
            _ => None,
        }
    }
}

/// The engine's answer for one article.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The article's id; empty for a text asked about without one ([`Engine::query_text`]), which JSON
    /// writes as `null` (and reads back from it).
    ///
    /// [`Engine::query_text`]: crate::Engine::query_text
    #[serde(serialize_with = "empty_as_null", deserialize_with = "null_as_empty")]
    pub id: String,
    /// The cluster it belongs to.
    pub cluster: ClusterId,
    /// New, duplicate or near-duplicate.
    pub status: Status,
    /// The best-matching earlier article, if any.
    pub duplicate_of: Option<String>,
    /// Estimated Jaccard similarity to `duplicate_of` (1.0 for exact duplicates).
    pub similarity: Option<f32>,
    /// Number of articles in the cluster, this one included, when the verdict was given: for an id ingested
    /// again with the same text, the cluster's size now.
    pub cluster_size: u64,
    /// The story it belongs to: articles about one event, near-duplicates or not (README, "How it
    /// decides").
    pub story: ClusterId,
    /// The article was stored before this call (the same id and text): the verdict is its stored one as
    /// it stands now, and nothing was stored again (a `source`, `url` or `published` that differs from
    /// the stored one is not taken). In JSON only when true, as `"repeat": true`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub repeat: bool,
}

/// A [`Verdict`]'s id: `null` when empty (no id was given: no stored article has an empty one).
fn empty_as_null<S: serde::Serializer>(id: &str, s: S) -> Result<S::Ok, S::Error> {
    match id {
        "" => s.serialize_none(),
        id => s.serialize_str(id),
    }
}

/// A [`Verdict`]'s id read back: `null` is the empty id [`empty_as_null`] writes.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(d).map(Option::unwrap_or_default)
}

/// Whether `b` is false: a [`Verdict`]'s `repeat` is written only when true.
fn is_false(b: &bool) -> bool {
    !*b
}

/// An article as the engine keeps it, with where it stands now.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredArticle {
    /// The article as it was ingested.
    pub article: Article<'static>,
    /// The cluster it belongs to now (a cluster it joined may since have merged into an older one).
    pub cluster: ClusterId,
    /// The story it belongs to.
    pub story: ClusterId,
    /// The status it was given at ingest.
    pub status: Status,
    /// The best-matching earlier article at ingest.
    pub duplicate_of: Option<String>,
    /// Estimated similarity to `duplicate_of`.
    pub similarity: Option<f32>,
}

/// A cluster as it stands now.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterInfo {
    /// The cluster id.
    pub id: ClusterId,
    /// Number of live members.
    pub size: u64,
    /// The headline of the founding article, or of the earliest live member once it was removed.
    pub representative: String,
    /// Ids of the live members, in ingest order.
    pub members: Vec<String>,
}

/// Counters describing what an engine holds. More counters may come.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Live articles.
    pub articles: u64,
    /// Clusters with at least one live member.
    pub clusters: u64,
    /// Live articles ingested as exact duplicates (removals and prunes take theirs off).
    pub duplicates: u64,
    /// Live articles ingested as near-duplicates.
    pub near_duplicates: u64,
    /// Live articles that founded a cluster.
    pub new: u64,
    /// Articles kept out of the band tables (too few shingles) and matched on exact text only.
    pub exact_only: u64,
    /// Articles stored since this engine was opened whose `published` field was given but in no form
    /// storyhash reads ("last tuesday"), or more than a day after their arrival (a wrong clock): their
    /// time is their arrival.
    pub unreadable_times: u64,
    /// Articles stored since this engine was opened without a `published` field: their time is their
    /// arrival, so that in a one-off run they all share a time and only content separates their stories.
    pub untimed: u64,
}

/// One member of a cluster as the daemon lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// Article id.
    pub id: String,
    /// Its headline.
    pub title: String,
    /// Its publisher, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its URL, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Its time (publication, else arrival).
    pub time: Timestamp,
}

/// A cluster with its time span, sources and one page of members.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterDetail {
    /// The cluster id.
    pub id: ClusterId,
    /// Number of live members.
    pub size: u64,
    /// The headline of its founder (or of its oldest live member once the founder is gone).
    pub representative: String,
    /// Earliest member time.
    pub first_seen: Timestamp,
    /// Latest member time.
    pub last_seen: Timestamp,
    /// Distinct sources among the members, in order of first appearance (at most 100).
    pub sources: Vec<String>,
    /// The members from `offset` on, in ingest order.
    pub members: Vec<Member>,
    /// The story of its founder (for a story: the story itself).
    pub story: ClusterId,
}

/// A cluster that grew within a recent window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trend {
    /// The cluster id.
    pub id: ClusterId,
    /// The story it belongs to.
    pub story: ClusterId,
    /// Members whose time lies in the window.
    pub growth: u64,
    /// All live members.
    pub size: u64,
    /// The headline of its founder (or oldest live member).
    pub representative: String,
    /// Latest member time.
    pub last_seen: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_builders_set_or_clear_a_field() {
        let none: Option<&str> = None;
        let a = Article::new("1", "t")
            .with_source("Reuters")
            .with_body_opt(Some(String::from("b")))
            .with_source_opt(none)
            .with_url_opt(Some("http://x"))
            .with_published_opt(Some(Cow::Borrowed("2014-03-10")));
        assert_eq!(a.body.as_deref(), Some("b"));
        assert_eq!(a.source, None, "None clears what was set");
        assert_eq!(a.url.as_deref(), Some("http://x"));
        assert_eq!(a.published.as_deref(), Some("2014-03-10"));
        let t = Article::new("2", "t").with_published_time(Timestamp::from_unix_seconds(0));
        assert_eq!(t.published.as_deref(), Some("1970-01-01T00:00:00Z"));
    }

    #[test]
    fn articles_and_verdicts_go_through_json_and_back() {
        // A crawler that queues articles or keeps verdicts needs no struct of its own.
        let article = Article::new("a-1", "Storm hits the coast \"tonight\"")
            .with_source("Reuters")
            .with_published("2014-03-10T16:55:01Z");
        let line = serde_json::to_string(&article).unwrap();
        assert_eq!(
            line,
            r#"{"id":"a-1","title":"Storm hits the coast \"tonight\"","source":"Reuters","published":"2014-03-10T16:55:01Z"}"#
        );
        assert_eq!(serde_json::from_str::<Article>(&line).unwrap(), article);
        let verdict = Verdict {
            id: "a-2".into(),
            cluster: 7,
            status: Status::NearDuplicate,
            duplicate_of: Some("a-1".into()),
            similarity: Some(0.75),
            cluster_size: 2,
            story: 7,
            repeat: false,
        };
        let line = serde_json::to_string(&verdict).unwrap();
        assert!(line.contains(r#""status":"near_duplicate""#), "{line}");
        assert!(!line.contains("repeat"), "{line}");
        assert_eq!(serde_json::from_str::<Verdict>(&line).unwrap(), verdict);
        let repeat = Verdict {
            repeat: true,
            ..verdict
        };
        let line = serde_json::to_string(&repeat).unwrap();
        assert!(line.ends_with(r#","repeat":true}"#), "{line}");
        assert_eq!(serde_json::from_str::<Verdict>(&line).unwrap(), repeat);
    }
}

/// A story that grew within a recent period, with what a reader scans first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoryTrend {
    /// The story id.
    pub id: ClusterId,
    /// Members whose time lies at or after the start of the period.
    pub growth: u64,
    /// All live members.
    pub size: u64,
    /// Distinct sources among the members.
    pub sources: u64,
    /// Near-duplicate clusters the members fall into.
    pub clusters: u64,
    /// The headline of its founder (or oldest live member).
    pub representative: String,
    /// The headline of its latest member (by time; of those alike, the last to arrive): where the
    /// story has got to, which its founding headline may no longer say.
    pub latest: String,
    /// Earliest member time.
    pub first_seen: Timestamp,
    /// Latest member time.
    pub last_seen: Timestamp,
    /// Members per equal part of the period, oldest part first (empty unless asked for).
    pub arrivals: Vec<u64>,
}

/// One member line of a folded cluster: a distinct text, shown once with how often it came.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FoldedMember {
    /// Id of the first member with this text.
    pub id: String,
    /// Its headline.
    pub title: String,
    /// Its publisher, when given.
    pub source: Option<String>,
    /// Its URL, when given.
    pub url: Option<String>,
    /// Its time (publication, else arrival).
    pub time: Timestamp,
    /// Members of the cluster with this same text (after normalisation), itself included.
    pub repeats: u64,
    /// Distinct sources among those members (0 when none gave one): a text repeated by several
    /// publishers is not one publisher's.
    pub sources: u64,
}

/// A near-duplicate cluster as a story (or the report) shows it: one line per distinct text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterFold {
    /// The cluster id.
    pub id: ClusterId,
    /// Its members (within the story, for one of [`StoryClusters::clusters`]).
    pub size: u64,
    /// Distinct sources among them.
    pub sources: u64,
    /// The headline of its founder (or oldest live member).
    pub representative: String,
    /// Earliest member time.
    pub first_seen: Timestamp,
    /// Latest member time.
    pub last_seen: Timestamp,
    /// Distinct texts among the members.
    pub texts: u64,
    /// One line per distinct text, in order of first arrival (capped).
    pub members: Vec<FoldedMember>,
}

/// A story with its near-duplicate clusters, largest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoryClusters {
    /// The story id.
    pub id: ClusterId,
    /// Live members.
    pub size: u64,
    /// The headline of its founder (or oldest live member).
    pub representative: String,
    /// Earliest member time.
    pub first_seen: Timestamp,
    /// Latest member time.
    pub last_seen: Timestamp,
    /// Distinct sources among the members.
    pub sources: u64,
    /// All its clusters (`clusters` may list fewer).
    pub clusters_total: u64,
    /// Its clusters, largest first (capped).
    pub clusters: Vec<ClusterFold>,
}

/// What an engine holds at a glance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overview {
    /// Live articles.
    pub articles: u64,
    /// Clusters with live members.
    pub clusters: u64,
    /// Stories with live members.
    pub stories: u64,
    /// Earliest article time.
    pub oldest: Option<Timestamp>,
    /// Latest article time.
    pub newest: Option<Timestamp>,
}
