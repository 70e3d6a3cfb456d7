//! A connection whose writes must make progress: a client that stops reading its answers (pipelining
//! requests into a full socket buffer, say) would otherwise hold its connection slot for as long as it
//! stays connected, and with `--max-connections` of them the daemon answers no one. Each write or flush
//! that cannot go on starts a clock; when it has waited longer than the deadline without a byte going
//! out, it fails with `TimedOut` and the connection closes. Reads are untouched (hyper times out slow
//! request headers itself, and the routes the body).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep, Sleep};

/// `inner`, whose writes time out when they wait longer than `deadline` for the client to read.
pub struct WriteDeadline<S> {
    inner: S,
    deadline: Duration,
    /// Running while a write or flush waits for the client.
    waiting: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteDeadline<S> {
    pub fn new(inner: S, deadline: Duration) -> WriteDeadline<S> {
        WriteDeadline {
            inner,
            deadline,
            waiting: None,
        }
    }

    /// What a write or flush came to: progress stops the clock; waiting starts it, or fails once it has
    /// run out.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(done) => {
                self.waiting = None;
                Poll::Ready(done)
            }
            Poll::Pending => {
                let deadline = self.deadline;
                let clock = self
                    .waiting
                    .get_or_insert_with(|| Box::pin(sleep(deadline)));
                if clock.as_mut().poll(cx).is_ready() {
                    self.waiting = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the client read nothing of its answer for {deadline:?}"),
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::Instant;

    /// A write into a peer that reads nothing fails once the deadline has passed without progress; one
    /// the peer keeps reading goes through however long it takes in all.
    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_does_not_read_times_out_and_one_it_reads_does_not() {
        let (ours, _theirs) = tokio::io::duplex(1024);
        let mut conn = WriteDeadline::new(ours, Duration::from_secs(5));
        let started = Instant::now();
        let e = conn.write_all(&[7u8; 64 * 1024]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_secs(5));

        let (ours, mut peer) = tokio::io::duplex(1024);
        let mut conn = WriteDeadline::new(ours, Duration::from_secs(5));
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 512];
            loop {
                // Slow, but never five seconds without a read.
                tokio::time::sleep(Duration::from_secs(1)).await;
                match peer.read(&mut buf).await {
                    Ok(0) | Err(_) => break got,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        });
        conn.write_all(&[9u8; 16 * 1024]).await.unwrap();
        conn.shutdown().await.unwrap();
        drop(conn);
        assert_eq!(reader.await.unwrap().len(), 16 * 1024);
    }
}
