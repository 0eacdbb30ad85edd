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

/// The parts of a `multipart/form-data` body, or `None` when the body or its
/// boundary is malformed.
pub(crate) fn read_form(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = multer::parse_boundary(content_type).ok()?;
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
    // The whole body is already in memory, so every poll is ready at once.
    poll_once(read).flatten()
}

fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let future = pin!(future);
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}
