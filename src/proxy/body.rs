//! The request body the proxy forwards: the client's stream as it arrives,
//! or the bytes a layer read to judge it (the layers rebuild a checked body
//! from `Bytes`, which hyper's `Incoming` cannot be built from).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use pin_project_lite::pin_project;

use crate::config::BoxError;

pin_project! {
    /// A streamed or an already-read request body.
    pub struct ProxyBody {
        #[pin]
        kind: Kind,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind {
        Streamed { #[pin] body: Incoming },
        Read { #[pin] body: Full<Bytes> },
    }
}

impl From<Bytes> for ProxyBody {
    fn from(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Read {
                body: Full::new(bytes),
            },
        }
    }
}

impl From<Incoming> for ProxyBody {
    fn from(body: Incoming) -> Self {
        Self {
            kind: Kind::Streamed { body },
        }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProj::Streamed { body } => body.poll_frame(cx).map_err(Into::into),
            KindProj::Read { body } => body.poll_frame(cx).map_err(|never| match never {}),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Streamed { body } => body.is_end_stream(),
            Kind::Read { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Streamed { body } => body.size_hint(),
            Kind::Read { body } => body.size_hint(),
        }
    }
}
