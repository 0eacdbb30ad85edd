//! Image bodies (`application/octet-stream`): size, format and header.
//!
//! Only magic bytes and header fields are read; pixels are never decoded, so
//! a 6 MB image costs what a 2 KB one does.

mod header;

use crate::catalogue::{self, Entry};
use crate::rules::detect::Rect;

/// Smallest image the service takes: "1KB", read as 1,000 bytes so that
/// neither reading of the unit rejects what the other accepts.
pub const MIN_IMAGE_BYTES: usize = 1_000;
/// Largest image the service takes: "6MB", read as 6 × 1024 × 1024 bytes.
pub const MAX_IMAGE_BYTES: usize = 6 * 1024 * 1024;

/// The first bytes of an image body worth reading when its length is
/// declared: magic bytes, and the header fields of every format but a JPEG
/// whose frame header follows large metadata segments.
pub(crate) const HEAD_BYTES: usize = 64 * 1024;

/// Checks an image body; `target_face`, if given, must lie inside it.
///
/// Size comes first, for every body including an empty one (the service
/// answers a 0-byte upload "Image size is too small."). Then the magic bytes
/// decide the format; a recognised format is never refused for a header
/// this crate cannot read: the `targetFace` range check is skipped instead.
pub(crate) fn check_image(body: &[u8], target_face: Option<Rect>) -> Result<(), Entry> {
    check_length(body.len() as u64)?;
    let header = header::read(body).ok_or(catalogue::IMAGE_FORMAT_UNSUPPORTED)?;
    check_target_face(&header, target_face)
}

/// Checks an image body of `length` bytes from its first bytes, `head`;
/// `None` when the verdict lies further on (a `targetFace` to place and a
/// header that goes on past `head`), so the whole body must be read.
///
/// `length` is the declared `Content-Length`: the bytes the service reads.
pub(crate) fn check_image_head(
    head: &[u8],
    length: u64,
    target_face: Option<Rect>,
) -> Option<Result<(), Entry>> {
    // Magic bytes need a few bytes; headers this short are read whole.
    if head.len() < 64 {
        return None;
    }
    if let Err(entry) = check_length(length) {
        return Some(Err(entry));
    }
    let Some(header) = header::read(head) else {
        return Some(Err(catalogue::IMAGE_FORMAT_UNSUPPORTED));
    };
    if target_face.is_some() && !header.complete {
        return None;
    }
    Some(check_target_face(&header, target_face))
}

fn check_length(length: u64) -> Result<(), Entry> {
    if length < MIN_IMAGE_BYTES as u64 {
        return Err(catalogue::IMAGE_TOO_SMALL);
    }
    if length > MAX_IMAGE_BYTES as u64 {
        return Err(catalogue::IMAGE_TOO_BIG);
    }
    Ok(())
}

fn check_target_face(header: &header::Header, target_face: Option<Rect>) -> Result<(), Entry> {
    let (Some(rect), Some((width, height))) = (target_face, header.size) else {
        return Ok(());
    };
    // Whether the service applies an EXIF quarter turn before judging
    // `targetFace` is undocumented: a rectangle that fits either the stored
    // or the displayed grid passes.
    let fits = rect.fits(width, height) || (header.quarter_turn && rect.fits(height, width));
    if fits {
        Ok(())
    } else {
        Err(catalogue::TARGET_FACE_OUT_OF_RANGE)
    }
}
