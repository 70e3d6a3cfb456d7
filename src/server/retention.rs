//! Retention: a daemon started with `--retain AGE` drops the articles older than AGE as it runs, as a
//! `POST /v1/prune?older_than=AGE` would, so that one left running keeps a bounded window of news in its
//! memory and store without a job of its own to call the route. The first prune runs once the store is
//! open (and, with several nodes, once this node has caught up), then one every `AGE / 24`, a minute to
//! an hour apart; each is logged with how many articles went, with a warning when the first took all
//! there was (an archive served with `--retain`). At shutdown a prune under way finishes
//! (it is durable when done) before the daemon's last flush.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::watch;

use super::{routes, State};
use crate::time;

/// Prunes what grows older than `age` until `stop` says to, between two prunes.
pub(super) async fn run(state: Arc<State>, age: Duration, mut stop: watch::Receiver<bool>) {
    let mut first = true;
    loop {
        let pause = if state.ready() {
            // Year 1 at the earliest, as the prune route takes an age too long for the calendar.
            prune(&state, time::before(time::now(), age.as_secs()), first).await;
            first = false;
            time::retention_every(age)
        } else {
            // Opening the store, catching up with the shared log, or refusing writes after a failure.
            Duration::from_millis(500)
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One prune of the articles before `before`, logged; `first` says it is the daemon's first.
async fn prune(state: &State, before: i64, first: bool) {
    let held = state.engine().map_or(0, |e| e.stats().articles);
    let answer = routes::prune_before(state, before).await;
    let status = answer.status();
    let body = axum::body::to_bytes(answer.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let said: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if status == StatusCode::OK {
        let pruned = said["pruned"].as_u64().unwrap_or(0);
        tracing::info!(
            pruned,
            before = %time::format_rfc3339(before),
            "retention: pruned the articles older than --retain"
        );
        // Every article of the store gone at the first prune is most often an archive served with
        // --retain: its times are its articles' publication times, not when they came in. Later, it is
        // a feed gone quiet for longer than --retain.
        if first && pruned > 0 && pruned >= held {
            tracing::warn!(
                pruned,
                "retention: every article was older than --retain and went; an archive's articles \
                 keep their publication times, so serve one without --retain"
            );
        }
    } else {
        tracing::warn!(
            status = status.as_u16(),
            error = said["error"].as_str().unwrap_or(""),
            "retention: the prune was refused; trying again later"
        );
    }
}
