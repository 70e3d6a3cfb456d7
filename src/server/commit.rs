//! Group commit: the one thread that writes. Request handlers hand their parsed articles to a
//! [`Committer`]; its thread takes every request waiting at that moment, ingests them together (each request
//! all or nothing), flushes the store once, and only then answers each request. The queue is bounded in
//! articles: a request that would overfill it is refused at once, so memory stays bounded under load.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::oneshot;

use super::metrics::Metrics;
use crate::engine::Engine;
use crate::error::{ArticleError, Error};
use crate::model::{Article, Verdict};

/// What became of one request's articles.
#[derive(Debug)]
pub enum Outcome {
    /// Every article is stored and durable; a verdict per article, in order.
    Stored(Vec<Verdict>),
    /// The request was refused whole: the position of the first bad article and why, and, for an id
    /// conflict, the request's articles handed back (to find its other conflicts). Nothing was stored.
    Rejected(usize, Error, Vec<Article<'static>>),
    /// The store failed; nothing of the request is acknowledged.
    Failed(String),
}

/// A refused request's articles, taken (not copied: the commit is done with them) when `e` is an id
/// conflict, so that its other conflicts can be found; none otherwise.
pub(super) fn handed_back(e: &Error, articles: &mut [Article<'static>]) -> Vec<Article<'static>> {
    match e {
        Error::Article(ArticleError::IdConflict { .. }) => {
            articles.iter_mut().map(std::mem::take).collect()
        }
        _ => Vec::new(),
    }
}

struct Job {
    articles: Vec<Article<'static>>,
    reply: oneshot::Sender<Outcome>,
}

/// Why a request could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds too many articles already; try again later.
    Full,
    /// The commit thread has stopped (shutting down, or the store failed).
    Stopped,
}

/// The sending side of the commit thread.
#[derive(Debug)]
pub struct Committer {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    metrics: Arc<Metrics>,
    capacity: u64,
}

impl Committer {
    /// Starts the commit thread. At most `capacity` articles wait at once; a group holds at most
    /// `group_max` articles (one request is never split).
    pub fn start(
        engine: Arc<Engine>,
        metrics: Arc<Metrics>,
        capacity: usize,
        group_max: usize,
    ) -> Committer {
        let (sender, receiver) = mpsc::channel::<Job>();
        let thread_metrics = Arc::clone(&metrics);
        let thread = std::thread::Builder::new()
            .name("storyhash-commit".into())
            .spawn(move || commit_loop(&engine, &thread_metrics, &receiver, group_max))
            .expect("the commit thread starts");
        Committer {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
            metrics,
            capacity: capacity as u64,
        }
    }

    /// Queues a request's articles; the receiver answers once they are durable (or refused).
    pub fn submit(
        &self,
        articles: Vec<Article<'static>>,
    ) -> Result<oneshot::Receiver<Outcome>, Refused> {
        let n = articles.len() as u64;
        let depth = &self.metrics.queue_depth;
        let mut current = depth.load(Ordering::Relaxed);
        loop {
            // A request larger than the whole queue still goes through when the queue is empty.
            if current > 0 && current + n > self.capacity {
                self.metrics.shed.inc();
                return Err(Refused::Full);
            }
            match depth.compare_exchange_weak(
                current,
                current + n,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        let (reply, receiver) = oneshot::channel();
        let sent = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .ok_or(Refused::Stopped)
            .and_then(|s| {
                s.send(Job { articles, reply })
                    .map_err(|_| Refused::Stopped)
            });
        if let Err(e) = sent {
            depth.fetch_sub(n, Ordering::AcqRel);
            return Err(e);
        }
        Ok(receiver)
    }

    /// Stops taking requests, lets the thread finish those queued (flushing them), and waits for it.
    pub fn finish(&self) {
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.finish();
    }
}

fn commit_loop(
    engine: &Engine,
    metrics: &Metrics,
    receiver: &mpsc::Receiver<Job>,
    group_max: usize,
) {
    let mut failed: Option<String> = None;
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        let mut count = jobs[0].articles.len();
        while count < group_max {
            match receiver.try_recv() {
                Ok(job) => {
                    count += job.articles.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let mut articles = Vec::with_capacity(count);
        let mut groups: Vec<Range<usize>> = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            let start = articles.len();
            articles.extend(job.articles);
            groups.push(start..articles.len());
            replies.push(job.reply);
        }
        let outcomes: Vec<Outcome> = match &failed {
            // After a failed flush nothing more is acknowledged: what sled holds is in doubt.
            Some(message) => groups
                .iter()
                .map(|_| Outcome::Failed(message.clone()))
                .collect(),
            None => {
                let results = engine.ingest_groups(&articles, &groups);
                // Replays and refused requests write nothing: a commit of only those needs no flush
                // (what a replay repeats was flushed before it was first answered).
                let wrote = results.iter().any(|r| match r {
                    Ok(group) => group.iter().any(|v| !v.repeat),
                    Err((_, Error::Article(_))) => false,
                    Err(_) => true,
                });
                let flushed = if wrote {
                    let started = Instant::now();
                    let flushed = engine.flush();
                    metrics.flush.observe(started.elapsed().as_secs_f64());
                    metrics.commits.inc();
                    flushed
                } else {
                    Ok(())
                };
                match flushed {
                    Err(e) => {
                        let message = format!("cannot flush the store: {e}");
                        tracing::error!(error = %e, "flush failed; refusing writes from now on");
                        failed = Some(message.clone());
                        metrics.store_failed.store(true, Ordering::Release);
                        groups
                            .iter()
                            .map(|_| Outcome::Failed(message.clone()))
                            .collect()
                    }
                    Ok(()) => results
                        .into_iter()
                        .zip(&groups)
                        .map(|(r, range)| match r {
                            Ok(group) => {
                                for v in &group {
                                    if v.repeat {
                                        metrics.replayed.inc();
                                    } else {
                                        metrics.ingested(v.status);
                                    }
                                }
                                Outcome::Stored(group)
                            }
                            Err((pos, e @ Error::Article(_))) => {
                                metrics.rejected.inc();
                                let handed_back = handed_back(&e, &mut articles[range.clone()]);
                                Outcome::Rejected(pos, e, handed_back)
                            }
                            Err((_, e)) => Outcome::Failed(e.to_string()),
                        })
                        .collect(),
                }
            }
        };
        // A write the store refused leaves it in doubt as a failed flush does (a full disk fails either
        // way, whichever comes first): nothing more is acknowledged.
        if failed.is_none() {
            if let Some(Outcome::Failed(message)) =
                outcomes.iter().find(|o| matches!(o, Outcome::Failed(_)))
            {
                tracing::error!(error = %message, "a store write failed; refusing writes from now on");
                failed = Some(message.clone());
                metrics.store_failed.store(true, Ordering::Release);
            }
        }
        metrics
            .queue_depth
            .fetch_sub(count as u64, Ordering::AcqRel);
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // A client that went away does not stop the others.
            let _ = reply.send(outcome);
        }
    }
}
