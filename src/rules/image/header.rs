//! Image headers read as decoders read them: the format from the magic
//! bytes, the dimensions from the header fields, and the EXIF orientation.
//!
//! Every reader is bounded by the header it walks (a JPEG's segments are
//! skipped by their lengths, never scanned byte by byte except across fill
//! and garbage bytes, as libjpeg does), and gives up — `None` — on anything
//! it cannot read: an image whose size is unknown is never refused for it.

use image::metadata::Orientation;

/// The formats the service decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Jpeg,
    Png,
    Gif,
    Bmp,
}

/// What a header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub format: Format,
    /// Width and height of the stored pixel grid, if readable and non-zero.
    pub size: Option<(u64, u64)>,
    /// The EXIF orientation turns the image a quarter (values 5–8): the
    /// displayed image is `height` × `width`.
    pub quarter_turn: bool,
    /// Every byte the reader looked for lay in the bytes it was given: read
    /// from the first bytes of a longer body, the header says what the whole
    /// body's would.
    pub complete: bool,
}

/// The header of a JPEG, PNG, GIF or BMP; `None` for any other format.
pub(crate) fn read(body: &[u8]) -> Option<Header> {
    let format = match image::guess_format(body).ok()? {
        image::ImageFormat::Jpeg => Format::Jpeg,
        image::ImageFormat::Png => Format::Png,
        image::ImageFormat::Gif => Format::Gif,
        image::ImageFormat::Bmp => Format::Bmp,
        _ => return None,
    };
    let Found {
        size,
        exif,
        complete,
    } = match format {
        Format::Jpeg => jpeg(body),
        Format::Png => png(body),
        // Every field either reads lies in the first 26 bytes.
        Format::Gif => Found::fields(gif(body), body.len() >= 26),
        Format::Bmp => Found::fields(bmp(body), body.len() >= 26),
    };
    let quarter_turn = exif
        .and_then(Orientation::from_exif_chunk)
        .is_some_and(|o| {
            matches!(
                o,
                Orientation::Rotate90
                    | Orientation::Rotate270
                    | Orientation::Rotate90FlipH
                    | Orientation::Rotate270FlipH
            )
        });
    Some(Header {
        format,
        size: size.filter(|(width, height)| *width > 0 && *height > 0),
        quarter_turn,
        complete,
    })
}

/// What a format's reader found.
struct Found<'a> {
    size: Option<(u64, u64)>,
    exif: Option<&'a [u8]>,
    /// Whether the reader stopped at something it read (a frame header,
    /// the image data, an end marker) rather than at the end of the bytes.
    complete: bool,
}

impl<'a> Found<'a> {
    fn fields(size: Option<(u64, u64)>, complete: bool) -> Self {
        Self {
            size,
            exif: None,
            complete,
        }
    }

    fn stopped(size: Option<(u64, u64)>, exif: Option<&'a [u8]>) -> Self {
        Self {
            size,
            exif,
            complete: true,
        }
    }

    fn ran_out(exif: Option<&'a [u8]>) -> Self {
        Self {
            size: None,
            exif,
            complete: false,
        }
    }
}

fn u16_be(body: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(body.get(at..at + 2)?.try_into().ok()?))
}

fn u16_le(body: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(body.get(at..at + 2)?.try_into().ok()?))
}

fn u32_be(body: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?))
}

fn i32_le(body: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?))
}

/// Marker codes that stand alone, without a length: TEM, RST0–7, SOI, EOI.
fn is_standalone(marker: u8) -> bool {
    matches!(marker, 0x01 | 0xD0..=0xD9)
}

/// Start-of-frame markers: every SOF variant (baseline, extended,
/// progressive, lossless; Huffman and arithmetic, differential or not).
/// C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
fn is_start_of_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// The frame size of a JPEG and its EXIF block (the TIFF data after
/// `Exif\0\0` in APP1). Markers are walked as libjpeg's `next_marker`
/// does: bytes other than 0xFF before a marker are skipped (libjpeg warns
/// and goes on), any number of 0xFF fill bytes may precede the code, and
/// each segment is skipped by its length. The walk stops at the first
/// frame header; scan data (SOS) before one means no size.
fn jpeg(body: &[u8]) -> Found<'_> {
    let mut exif = None;
    let mut at = 2;
    loop {
        // Garbage, then fill bytes, then the code.
        while body.get(at).is_some_and(|b| *b != 0xFF) {
            at += 1;
        }
        while body.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = body.get(at) else {
            return Found::ran_out(exif);
        };
        at += 1;
        if marker == 0x00 || is_standalone(marker) {
            if marker == 0xD9 {
                return Found::stopped(None, exif);
            }
            continue;
        }
        let Some(length) = u16_be(body, at).map(usize::from) else {
            return Found::ran_out(exif);
        };
        if length < 2 {
            return Found::stopped(None, exif);
        }
        let segment = body.get(at + 2..at + length);
        if is_start_of_frame(marker) {
            // Precision (1), lines (2), samples per line (2).
            let size = u16_be(body, at + 3)
                .zip(u16_be(body, at + 5))
                .map(|(height, width)| (u64::from(width), u64::from(height)));
            return match size {
                Some(size) => Found::stopped(Some(size), exif),
                None => Found::ran_out(exif),
            };
        }
        if marker == 0xDA {
            return Found::stopped(None, exif);
        }
        if marker == 0xE1 && exif.is_none() {
            exif = segment.and_then(|s| s.strip_prefix(b"Exif\0\0"));
        }
        at += length;
    }
}

/// The size in IHDR, which must be the first chunk, and the `eXIf` chunk
/// if one comes before the image data.
fn png(body: &[u8]) -> Found<'_> {
    if body.get(12..16) != Some(b"IHDR") {
        return Found::fields(None, body.len() >= 16);
    }
    let size = u32_be(body, 16)
        .zip(u32_be(body, 20))
        .map(|(width, height)| (u64::from(width), u64::from(height)));
    // Chunks: length (4), type (4), data, CRC (4).
    let mut at = 8;
    loop {
        let (Some(length), Some(kind)) = (u32_be(body, at), body.get(at + 4..at + 8)) else {
            return Found {
                size,
                exif: None,
                complete: false,
            };
        };
        let Ok(length) = usize::try_from(length) else {
            return Found::stopped(size, None);
        };
        match kind {
            b"IDAT" | b"IEND" => return Found::stopped(size, None),
            b"eXIf" => {
                return match body.get(at + 8..at + 8 + length) {
                    Some(exif) => Found::stopped(size, Some(exif)),
                    None => Found {
                        size,
                        exif: None,
                        complete: false,
                    },
                };
            }
            _ => at = at.saturating_add(12).saturating_add(length),
        }
    }
}

/// The logical screen size of GIF87a and GIF89a.
fn gif(body: &[u8]) -> Option<(u64, u64)> {
    if !matches!(body.get(..6), Some(b"GIF87a" | b"GIF89a")) {
        return None;
    }
    Some((u64::from(u16_le(body, 6)?), u64::from(u16_le(body, 8)?)))
}

/// The size in a BMP's DIB header, by its length: the 12-byte
/// BITMAPCOREHEADER has 16-bit fields; OS/2 2.x (16, 64 bytes),
/// BITMAPINFOHEADER (40) and its extensions (52, 56, 108, 124) have 32-bit
/// signed ones, where a negative height marks a top-down bitmap.
fn bmp(body: &[u8]) -> Option<(u64, u64)> {
    let header_size = u32::from_le_bytes(body.get(14..18)?.try_into().ok()?);
    match header_size {
        12 => Some((u64::from(u16_le(body, 18)?), u64::from(u16_le(body, 20)?))),
        16 | 40 | 52 | 56 | 64 | 108 | 124 => {
            let width = u64::try_from(i32_le(body, 18)?).ok()?;
            let height = u64::from(i32_le(body, 22)?.unsigned_abs());
            Some((width, height))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_of_frame_markers() {
        let frames: Vec<u8> = (0xC0..=0xCF).filter(|m| is_start_of_frame(*m)).collect();
        assert_eq!(
            frames,
            [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
        );
    }

    #[test]
    fn truncated_headers_have_no_size() {
        for body in [
            &b"\xFF\xD8\xFF"[..],
            b"\xFF\xD8\xFF\xE0\x00",
            b"\xFF\xD8\xFF\xC0\x00\x11\x08\x00",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0",
            b"GIF89a\x01",
            b"BM\0\0\0\0\0\0\0\0\0\0\0\0\x28\0\0\0\x01",
        ] {
            let header = read(body).expect("recognised");
            assert_eq!(header.size, None, "{body:?}");
        }
    }
}
