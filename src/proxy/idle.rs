//! [`IdleTimeout`]: a body that fails when no frame arrives for a while —
//! a client trickling its upload, or an upstream that sent its head and
//! stalled — so that neither holds a connection slot or a client forever.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::sync::Notify;
use tokio::time::{sleep, Instant, Sleep};

use crate::pipeline::BoxError;

/// The error of a body that went quiet for longer than its idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyIdle {
    /// Whose body it was.
    pub side: Side,
    /// The timeout that passed.
    pub after: Duration,
}

/// Which end a body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client's request body.
    Client,
    /// The upstream's response body.
    Upstream,
}

impl std::fmt::Display for BodyIdle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whose = match self.side {
            Side::Client => "the client's request body",
            Side::Upstream => "the upstream's answer body",
        };
        write!(f, "{whose} sent nothing for {:?}", self.after)
    }
}

impl std::error::Error for BodyIdle {}

/// Set once a request body has been read to its end, by the layer or by the
/// client sending it on: the upstream's time starts then, so a slow upload
/// does not count against the upstream timeout.
#[derive(Debug, Clone, Default)]
pub struct BodyDone {
    inner: Arc<(AtomicBool, Notify)>,
}

impl BodyDone {
    pub(super) fn set(&self) {
        if !self.inner.0.swap(true, Ordering::AcqRel) {
            self.inner.1.notify_waiters();
        }
    }

    /// Resolves once the body has been read to its end.
    pub async fn wait(&self) {
        loop {
            let notified = self.inner.1.notified();
            if self.inner.0.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

pin_project! {
    /// `body`, failing with [`BodyIdle`] when `timeout` passes between two
    /// frames (or between the first poll and the first frame).
    pub struct IdleTimeout<B> {
        #[pin]
        body: B,
        // Boxed so that the body is `Unpin` where `B` is (hyper's client
        // asks for it).
        sleep: Pin<Box<Sleep>>,
        timeout: Duration,
        side: Side,
        done: Option<BodyDone>,
        // Whether the body has been polled: the clock starts then, not when
        // it was wrapped, so a request that waited for room in the body
        // budget before its body was read is not counted idle meanwhile.
        polled: bool,
    }
}

impl<B> IdleTimeout<B> {
    /// Wraps `body`; the clock starts when it is first polled.
    pub fn new(body: B, timeout: Duration, side: Side) -> Self {
        Self {
            body,
            sleep: Box::pin(sleep(timeout)),
            timeout,
            side,
            done: None,
            polled: false,
        }
    }

    /// Sets `done` when the body has been read to its end.
    pub fn signal_end(mut self, done: BodyDone) -> Self {
        self.done = Some(done);
        self
    }
}

impl<B> Body for IdleTimeout<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        if !*this.polled {
            *this.polled = true;
            this.sleep.as_mut().reset(Instant::now() + *this.timeout);
        }
        if let Poll::Ready(frame) = this.body.as_mut().poll_frame(cx) {
            this.sleep.as_mut().reset(Instant::now() + *this.timeout);
            if frame.is_none() || this.body.is_end_stream() {
                if let Some(done) = this.done {
                    done.set();
                }
            }
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        ready!(this.sleep.as_mut().poll(cx));
        Poll::Ready(Some(Err(Box::new(BodyIdle {
            side: *this.side,
            after: *this.timeout,
        }))))
    }

    fn is_end_stream(&self) -> bool {
        let end = self.body.is_end_stream();
        if let (true, Some(done)) = (end, &self.done) {
            done.set();
        }
        end
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::BodyExt;

    /// A body whose one frame comes `delay` after its first poll.
    struct Late {
        delay: Duration,
        sleep: Option<Pin<Box<Sleep>>>,
        sent: bool,
    }

    impl Body for Late {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.sent {
                return Poll::Ready(None);
            }
            let delay = self.delay;
            let sleep = self.sleep.get_or_insert_with(|| Box::pin(sleep(delay)));
            ready!(sleep.as_mut().poll(cx));
            self.sent = true;
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"face")))))
        }
    }

    fn late(delay: Duration) -> Late {
        Late {
            delay,
            sleep: None,
            sent: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_starts_at_the_first_poll_not_when_wrapped() {
        let body = IdleTimeout::new(
            late(Duration::from_secs(5)),
            Duration::from_secs(10),
            Side::Client,
        );
        // A wait for room in the body budget, longer than the timeout.
        tokio::time::advance(Duration::from_secs(30)).await;
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, Bytes::from_static(b"face"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_quiet_past_the_timeout_fails() {
        let body = IdleTimeout::new(
            late(Duration::from_secs(11)),
            Duration::from_secs(10),
            Side::Client,
        );
        let error = body.collect().await.unwrap_err();
        let idle = error.downcast_ref::<BodyIdle>().unwrap();
        assert_eq!(idle.side, Side::Client);
        assert_eq!(idle.after, Duration::from_secs(10));
    }
}
