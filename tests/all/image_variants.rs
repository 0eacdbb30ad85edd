//! Image headers read as decoders read them: a corpus of legal variants of
//! JPEG, PNG, GIF and BMP (made with the `image` crate, or by hand where it
//! cannot write the variant) where every one passes and every `targetFace`
//! outside the image is caught, and EXIF orientation.
//!
//! Where the `image` crate decodes a hand-made variant, the test asserts
//! that it does and with the same size: the variant is legal for a real
//! decoder, not just for this crate.

use crate::common::*;
use face_preflight::catalogue;
use image::ImageFormat;

const ADD_FACE: &str =
    "/face/v1.2/persongroups/g/persons/c5c24a82-6845-4031-9d5d-978df9175426/persistedfaces";

/// Pads to a legal size: decoders ignore bytes after the image's end.
fn padded(mut image: Vec<u8>) -> Vec<u8> {
    if image.len() < 1200 {
        image.resize(1200, 0);
    }
    image
}

/// Asserts that `image` passes with every rectangle that fits `width` ×
/// `height` at its edges, and is refused with one pixel more either way.
#[track_caller]
fn assert_measured(name: &str, image: &[u8], width: u64, height: u64) {
    let image = padded(image.to_vec());
    assert_passes(&post_image("/face/v1.2/detect", image.clone()));
    let send = |rect: String| post_image(&format!("{ADD_FACE}?targetFace={rect}"), image.clone());
    for inside in [
        format!("0,0,{width},{height}"),
        format!("{},{},1,1", width - 1, height - 1),
    ] {
        if let Err(error) = face_preflight::check(&send(inside.clone())) {
            panic!("{name}: targetFace={inside} refused: {error}");
        }
    }
    for outside in [
        format!("0,0,{},{height}", width + 1),
        format!("0,0,{width},{}", height + 1),
        format!("{width},0,1,1"),
        format!("0,{height},1,1"),
    ] {
        match face_preflight::check(&send(outside.clone())) {
            Err(error) => assert_error(&error, &catalogue::TARGET_FACE_OUT_OF_RANGE),
            Ok(()) => panic!("{name}: targetFace={outside} slipped through"),
        }
    }
}

/// Asserts that the `image` crate decodes `bytes` to `width` × `height`.
#[track_caller]
fn assert_decodes(name: &str, bytes: &[u8], width: u32, height: u32) {
    let decoded = image::load_from_memory(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        (decoded.width(), decoded.height()),
        (width, height),
        "{name}"
    );
}

// ---- JPEG ----

/// A real baseline JPEG split into its segments before the frame header
/// (`FFD8` excluded) and the rest (frame header on).
fn jpeg_parts(width: u32, height: u32) -> (Vec<Vec<u8>>, Vec<u8>) {
    let jpeg = image_of(ImageFormat::Jpeg, width, height);
    let mut at = 2;
    let mut segments = Vec::new();
    loop {
        assert_eq!(jpeg[at], 0xFF);
        let marker = jpeg[at + 1];
        if marker == 0xC0 {
            return (segments, jpeg[at..].to_vec());
        }
        let length = u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
        segments.push(jpeg[at..at + 2 + length].to_vec());
        at += 2 + length;
    }
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(payload);
    segment
}

/// A TIFF block with one IFD entry: Orientation = `value`.
fn exif(value: u16, big_endian: bool) -> Vec<u8> {
    let mut tiff = Vec::new();
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    tiff.extend_from_slice(if big_endian { b"MM\0\x2a" } else { b"II\x2a\0" });
    tiff.extend_from_slice(&u32b(8));
    tiff.extend_from_slice(&u16b(1));
    tiff.extend_from_slice(&u16b(0x0112));
    tiff.extend_from_slice(&u16b(3));
    tiff.extend_from_slice(&u32b(1));
    tiff.extend_from_slice(&u16b(value));
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&u32b(0));
    tiff
}

fn app1_exif(value: u16, big_endian: bool) -> Vec<u8> {
    segment(
        0xE1,
        &[b"Exif\0\0".as_slice(), &exif(value, big_endian)].concat(),
    )
}

fn assemble(before: &[Vec<u8>], rest: &[u8]) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    for part in before {
        jpeg.extend_from_slice(part);
    }
    jpeg.extend_from_slice(rest);
    jpeg
}

#[test]
fn jpeg_fill_bytes_segments_and_garbage() {
    let (segments, frame_on) = jpeg_parts(64, 48);
    let with_fill = |fill: usize| -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = segments
            .iter()
            .map(|s| [vec![0xFF; fill], s.clone()].concat())
            .collect();
        parts.push(vec![0xFF; fill]);
        assemble(&parts, &frame_on)
    };
    let com = segment(0xFE, b"made by face-preflight tests");
    let icc = segment(
        0xE2,
        &[b"ICC_PROFILE\0\x01\x01".as_slice(), &[0; 64]].concat(),
    );
    let adobe = segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01");
    let photoshop = segment(0xED, b"Photoshop 3.0\0");
    let restart_interval = segment(0xDD, &[0, 0]);
    let variants: Vec<(&str, Vec<u8>, bool)> = vec![
        ("as encoded", assemble(&segments, &frame_on), true),
        ("one fill byte before each marker", with_fill(1), true),
        ("seven fill bytes before each marker", with_fill(7), true),
        (
            "COM and APPn in any order before the tables",
            assemble(
                &[
                    vec![com.clone(), icc.clone(), adobe.clone(), photoshop.clone()],
                    segments.clone(),
                    vec![com.clone()],
                ]
                .concat(),
                &frame_on,
            ),
            true,
        ),
        (
            "no JFIF header, EXIF first",
            assemble(
                &[vec![app1_exif(1, false)], segments[1..].to_vec()].concat(),
                &frame_on,
            ),
            true,
        ),
        (
            "a restart interval before the frame",
            assemble(
                &[segments.clone(), vec![restart_interval]].concat(),
                &frame_on,
            ),
            true,
        ),
        (
            // libjpeg skips non-marker bytes with a warning.
            "garbage bytes before a marker",
            assemble(
                &[segments.clone(), vec![vec![0x12, 0x34, 0x00]]].concat(),
                &frame_on,
            ),
            false,
        ),
    ];
    for (name, jpeg, decodable) in variants {
        if decodable {
            assert_decodes(name, &jpeg, 64, 48);
        }
        assert_measured(name, &jpeg, 64, 48);
    }
}

#[test]
fn jpeg_every_start_of_frame() {
    for marker in [
        0xC0u8, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF,
    ] {
        // Precision 8, 300 lines, 200 samples per line, 3 components.
        let frame = segment(
            marker,
            &[
                8, 0x01, 0x2C, 0x00, 0xC8, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
            ],
        );
        let dht = segment(0xC4, &[0; 17]);
        let jpeg = [
            &[0xFF, 0xD8][..],
            &segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
            &dht,
            &segment(0xCC, &[0x10, 0x10]),
            &frame,
            &[0xFF, 0xDA],
        ]
        .concat();
        assert_measured(&format!("SOF {marker:02X}"), &jpeg, 200, 300);
    }
    // A frame whose height comes later (DNL) has no size to judge by.
    let jpeg = [
        &[0xFF, 0xD8][..],
        &segment(0xC0, &[8, 0, 0, 0x00, 0xC8, 1, 1, 0x11, 0]),
    ]
    .concat();
    assert_passes(&post_image(
        &format!("{ADD_FACE}?targetFace=0,0,9999,9999"),
        padded(jpeg),
    ));
}

#[test]
fn jpeg_exif_orientation() {
    let (segments, frame_on) = jpeg_parts(64, 48);
    let with_orientation = |value: u16, big_endian: bool| {
        assemble(
            &[
                vec![segments[0].clone(), app1_exif(value, big_endian)],
                segments[1..].to_vec(),
            ]
            .concat(),
            &frame_on,
        )
    };
    for big_endian in [false, true] {
        // Upright, mirrored or half-turned: the stored grid only.
        for value in [1, 2, 3, 4] {
            let jpeg = with_orientation(value, big_endian);
            assert_decodes("exif", &jpeg, 64, 48);
            assert_measured(&format!("orientation {value}"), &jpeg, 64, 48);
            assert_rejects(
                &post_image(&format!("{ADD_FACE}?targetFace=0,0,48,64"), padded(jpeg)),
                &catalogue::TARGET_FACE_OUT_OF_RANGE,
            );
        }
        // A quarter turn: a rectangle that fits either grid passes; one
        // that fits neither is refused.
        for value in [5, 6, 7, 8] {
            let jpeg = padded(with_orientation(value, big_endian));
            for fits in ["0,0,64,48", "0,0,48,64", "40,60,8,4", "60,40,4,8"] {
                assert_passes(&post_image(
                    &format!("{ADD_FACE}?targetFace={fits}"),
                    jpeg.clone(),
                ));
            }
            for fits_neither in ["0,0,64,64", "0,0,49,64", "0,0,48,65", "0,0,65,48"] {
                assert_rejects(
                    &post_image(
                        &format!("{ADD_FACE}?targetFace={fits_neither}"),
                        jpeg.clone(),
                    ),
                    &catalogue::TARGET_FACE_OUT_OF_RANGE,
                );
            }
        }
    }
}

// ---- PNG ----

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    // The CRC is not read here; decoders differ on whether they check it
    // for ancillary chunks, so compute it as the format requires.
    let crc = crc32(&[kind.as_slice(), data].concat());
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn png_chunks_after_ihdr_and_exif() {
    let png = image_of(ImageFormat::Png, 64, 48);
    // Signature (8) + IHDR chunk (25).
    let (head, tail) = png.split_at(33);
    let text = png_chunk(b"tEXt", b"Comment\0face-preflight");
    let gamma = png_chunk(b"gAMA", &45455u32.to_be_bytes());
    let extra = [head, &text, &gamma, &text, tail].concat();
    assert_decodes("extra chunks", &extra, 64, 48);
    assert_measured("extra chunks", &extra, 64, 48);

    let rotated = [head, &text, &png_chunk(b"eXIf", &exif(6, true)), tail].concat();
    assert_decodes("eXIf", &rotated, 64, 48);
    assert_passes(&post_image(
        &format!("{ADD_FACE}?targetFace=0,0,48,64"),
        padded(rotated.clone()),
    ));
    assert_rejects(
        &post_image(&format!("{ADD_FACE}?targetFace=0,0,64,64"), padded(rotated)),
        &catalogue::TARGET_FACE_OUT_OF_RANGE,
    );
}

// ---- GIF ----

#[test]
fn gif87a_and_gif89a() {
    let gif89 = image_of(ImageFormat::Gif, 64, 48);
    assert_eq!(&gif89[..6], b"GIF89a");
    assert_measured("GIF89a", &gif89, 64, 48);
    let gif87 = [b"GIF87a".as_slice(), &gif89[6..]].concat();
    assert_measured("GIF87a", &gif87, 64, 48);
}

// ---- BMP ----

/// A 24-bit uncompressed BMP with a DIB header of `header_size` bytes.
fn bmp(header_size: u32, width: i32, height: i32) -> Vec<u8> {
    let row = (width as usize * 3).div_ceil(4) * 4;
    let pixels = row * height.unsigned_abs() as usize;
    let offset = 14 + header_size;
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&(offset + pixels as u32).to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&offset.to_le_bytes());
    bmp.extend_from_slice(&header_size.to_le_bytes());
    if header_size == 12 {
        bmp.extend_from_slice(&(width as u16).to_le_bytes());
        bmp.extend_from_slice(&(height as u16).to_le_bytes());
        bmp.extend_from_slice(&1u16.to_le_bytes());
        bmp.extend_from_slice(&24u16.to_le_bytes());
    } else {
        bmp.extend_from_slice(&width.to_le_bytes());
        bmp.extend_from_slice(&height.to_le_bytes());
        bmp.extend_from_slice(&1u16.to_le_bytes());
        bmp.extend_from_slice(&24u16.to_le_bytes());
        // Compression BI_RGB and the rest of the header zeroed.
        bmp.resize(14 + header_size as usize, 0);
    }
    bmp.extend(std::iter::repeat_n(0x7F, pixels));
    bmp
}

#[test]
fn bmp_every_dib_header() {
    for header_size in [12, 16, 40, 52, 56, 64, 108, 124] {
        for height in [48, -48] {
            if header_size == 12 && height < 0 {
                continue; // the core header's fields are unsigned
            }
            let name = format!("BMP, {header_size}-byte header, height {height}");
            let image = bmp(header_size, 64, height);
            // OS/2 2.x headers are beyond the image crate's reader.
            if !matches!(header_size, 16 | 64) {
                assert_decodes(&name, &image, 64, 48);
            }
            assert_measured(&name, &image, 64, 48);
        }
    }
    // The encoder's own output.
    assert_measured(
        "BMP from the encoder",
        &image_of(ImageFormat::Bmp, 64, 48),
        64,
        48,
    );
}

#[test]
fn images_made_by_the_encoder_at_many_sizes() {
    for format in [
        ImageFormat::Jpeg,
        ImageFormat::Png,
        ImageFormat::Gif,
        ImageFormat::Bmp,
    ] {
        for (width, height) in [(17, 300), (300, 17), (128, 128), (33, 65)] {
            assert_measured(
                &format!("{format:?} {width}x{height}"),
                &image_of(format, width, height),
                width as u64,
                height as u64,
            );
        }
    }
}
