//! A response body passed through unchanged while the first bytes of it
//! are kept for a look at the end: report-only mode parses the service's
//! error from it, pacing the seconds of a 429.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

type OnEnd = Box<dyn FnOnce(Option<&[u8]>) + Send + Sync>;

/// Keeps up to `limit` bytes of a body and calls `on_end` once: with the
/// bytes when the body ends within the limit, with `None` when it fails,
/// grows past the limit, or is dropped unread.
pub(crate) struct Tap {
    kept: Vec<u8>,
    limit: usize,
    overflow: bool,
    on_end: Option<OnEnd>,
}

impl fmt::Debug for Tap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tap")
            .field("kept", &self.kept.len())
            .field("limit", &self.limit)
            .field("overflow", &self.overflow)
            .finish_non_exhaustive()
    }
}

impl Tap {
    pub(crate) fn new(
        limit: usize,
        on_end: impl FnOnce(Option<&[u8]>) + Send + Sync + 'static,
    ) -> Self {
        Self {
            kept: Vec::new(),
            limit,
            overflow: false,
            on_end: Some(Box::new(on_end)),
        }
    }

    /// One tap for two: it keeps as much as the larger limit, and each
    /// callback gets the body only if it fits its own limit.
    pub(crate) fn join(first: Option<Tap>, second: Option<Tap>) -> Option<Tap> {
        match (first, second) {
            (Some(mut first), Some(mut second)) => {
                let (a, b) = (first.on_end.take(), second.on_end.take());
                let (a_limit, b_limit) = (first.limit, second.limit);
                Some(Tap::new(a_limit.max(b_limit), move |body| {
                    if let Some(a) = a {
                        a(body.filter(|body| body.len() <= a_limit));
                    }
                    if let Some(b) = b {
                        b(body.filter(|body| body.len() <= b_limit));
                    }
                }))
            }
            (first, second) => first.or(second),
        }
    }

    /// The whole body at once, as a host that read it hands it over
    /// (`None`: not read).
    pub(crate) fn end_with(mut self, body: Option<&[u8]>) {
        match body {
            Some(body) if body.len() <= self.limit => {
                self.kept.extend_from_slice(body);
                self.finish(true);
            }
            _ => self.finish(false),
        }
    }

    fn keep(&mut self, data: &Bytes) {
        if self.overflow || self.kept.len() + data.len() > self.limit {
            self.overflow = true;
            self.kept = Vec::new();
        } else {
            self.kept.extend_from_slice(data);
        }
    }

    fn finish(&mut self, complete: bool) {
        if let Some(on_end) = self.on_end.take() {
            on_end((complete && !self.overflow).then_some(&self.kept[..]));
        }
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.finish(false);
    }
}

pin_project! {
    /// A body passed through unchanged, frame for frame, with a [`Tap`].
    pub(crate) struct TappedBody<B> {
        #[pin]
        body: B,
        tap: Tap,
    }
}

impl<B> TappedBody<B> {
    pub(crate) fn new(body: B, tap: Tap) -> Self {
        Self { body, tap }
    }
}

impl<B: Body<Data = Bytes>> Body for TappedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut this = self.project();
        let frame = std::task::ready!(this.body.as_mut().poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.tap.keep(data);
                }
                // Readers that trust `is_end_stream` never poll the end.
                if this.body.is_end_stream() {
                    this.tap.finish(true);
                }
            }
            Some(Err(_)) => this.tap.finish(false),
            None => this.tap.finish(true),
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
