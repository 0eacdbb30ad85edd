//! Image bodies (`application/octet-stream`): size, format and header.
//!
//! Only magic bytes and header fields are read; pixels are never decoded, so
//! a 6 MB image costs what a 2 KB one does.

use image::ImageFormat;

use crate::catalogue;
use crate::rules::detect::Rect;
use crate::FaceApiError;

/// Smallest image the service takes: "1KB", read as 1,000 bytes so that
/// neither reading of the unit rejects what the other accepts.
pub const MIN_IMAGE_BYTES: usize = 1_000;
/// Largest image the service takes: "6MB", read as 6 × 1024 × 1024 bytes.
pub const MAX_IMAGE_BYTES: usize = 6 * 1024 * 1024;

/// Checks an image body; `target_face`, if given, must lie inside it.
pub(crate) fn check_image(body: &[u8], target_face: Option<Rect>) -> Result<(), FaceApiError> {
    if body.is_empty() {
        // An empty upload is no image at all; the service reports it as
        // undecodable rather than small.
        return Err(catalogue::IMAGE_FORMAT_UNSUPPORTED.into());
    }
    if body.len() < MIN_IMAGE_BYTES {
        return Err(catalogue::IMAGE_TOO_SMALL.into());
    }
    if body.len() > MAX_IMAGE_BYTES {
        return Err(catalogue::IMAGE_TOO_BIG.into());
    }
    let supported = match image::guess_format(body) {
        Ok(
            format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::Bmp),
        ) => header_is_sound(format, body),
        _ => false,
    };
    // A header that is cut short or broken has no readable dimensions.
    let size = imagesize::blob_size(body)
        .ok()
        .filter(|size| supported && size.width > 0 && size.height > 0)
        .ok_or_else(|| FaceApiError::from(catalogue::IMAGE_FORMAT_UNSUPPORTED))?;
    match target_face {
        Some(rect) if !rect.fits(size.width as u64, size.height as u64) => {
            Err(catalogue::TARGET_FACE_OUT_OF_RANGE.into())
        }
        _ => Ok(()),
    }
}

/// Structure that `imagesize` takes on trust: it reads PNG and BMP
/// dimensions at fixed offsets without looking at what stands there. (It
/// walks JPEG segments to the frame header itself, and GIF's screen size
/// follows its signature directly.)
fn header_is_sound(format: ImageFormat, body: &[u8]) -> bool {
    match format {
        // The first chunk after the signature is IHDR.
        ImageFormat::Png => body.get(12..16) == Some(b"IHDR"),
        // The DIB header size names one of the documented header versions.
        ImageFormat::Bmp => body
            .get(14..18)
            .and_then(|size| <[u8; 4]>::try_from(size).ok())
            .map(u32::from_le_bytes)
            .is_some_and(|size| matches!(size, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)),
        _ => true,
    }
}
