//! `multipart/form-data` bodies, read with `multer`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

/// One part of a form.
pub(crate) struct Part {
    pub name: String,
    pub is_file: bool,
    pub bytes: Bytes,
}

/// What reading a form found.
pub(crate) enum Form {
    Parts(Vec<Part>),
    /// The body or its boundary is malformed.
    Malformed,
    /// The reader did not finish on the in-memory body (it never has; if it
    /// ever did, the form is left to the service rather than refused).
    Undecided,
}

/// The parts of a `multipart/form-data` body.
pub(crate) fn read_form(content_type: &str, body: &[u8]) -> Form {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return Form::Malformed;
    };
    // multer reads from a stream of owned chunks and buffers them itself.
    let chunk = Bytes::copy_from_slice(body);
    let stream = futures_util::stream::once(std::future::ready(Ok::<_, Infallible>(chunk)));
    let mut multipart = multer::Multipart::new(stream, boundary);
    let read = async move {
        let mut parts = Vec::new();
        while let Some(field) = multipart.next_field().await.ok()? {
            let name = field.name().unwrap_or_default().to_owned();
            let is_file = field.file_name().is_some();
            let bytes = field.bytes().await.ok()?;
            parts.push(Part {
                name,
                is_file,
                bytes,
            });
        }
        Some(parts)
    };
    // The whole body is already in memory, so a poll is ready at once; a
    // few more polls cover a reader that yields once on the way.
    let mut read = pin!(read);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..8 {
        if let Poll::Ready(parts) = read.as_mut().poll(&mut context) {
            return parts.map_or(Form::Malformed, Form::Parts);
        }
    }
    Form::Undecided
}
