//! Image bodies, image URLs and the query of detect and add-face.

use crate::common::*;
use face_preflight::{catalogue, PreflightLayer, MAX_IMAGE_BYTES};
use http::Method;
use image::ImageFormat;

/// Every operation whose body is an image, in each version that has it.
const IMAGE_PATHS: [&str; 8] = [
    "/face/v1.2/detect",
    "/face/v1.0/detect",
    "/face/v1.2/facelists/f/persistedfaces",
    "/face/v1.2/largefacelists/f/persistedfaces",
    "/face/v1.2/persongroups/g/persons/c5c24a82-6845-4031-9d5d-978df9175426/persistedfaces",
    "/face/v1.2/largepersongroups/g/persons/c5c24a82-6845-4031-9d5d-978df9175426/persistedfaces",
    "/face/v1.1-preview.1/persons/c5c24a82-6845-4031-9d5d-978df9175426/recognitionModels/recognition_04/persistedfaces",
    "/face/v1.2-preview.1/persons/c5c24a82-6845-4031-9d5d-978df9175426/recognitionModels/recognition_03/persistedfaces",
];

/// Pads `image` with zeros after its end to exactly `len` bytes (decoders
/// ignore what follows the image).
fn padded(mut image: Vec<u8>, len: usize) -> Vec<u8> {
    assert!(image.len() <= len, "{} > {len}", image.len());
    image.resize(len, 0);
    image
}

#[test]
fn supported_formats_pass_on_every_image_operation() {
    for format in [
        ImageFormat::Jpeg,
        ImageFormat::Png,
        ImageFormat::Gif,
        ImageFormat::Bmp,
    ] {
        let image = image_of(format, 64, 48);
        assert!(image.len() >= 1000, "{format:?}: {}", image.len());
        for path in IMAGE_PATHS {
            assert_passes(&post_image(path, image.clone()));
        }
    }
}

#[test]
fn unsupported_formats_and_garbage_fail() {
    let mut garbage = vec![0u8; 4096];
    for (i, b) in garbage.iter_mut().enumerate() {
        *b = (i * 31 % 251) as u8;
    }
    let heic = [b"\0\0\0\x18ftypheic".as_slice(), &[0; 2000]].concat();
    let cases = [
        image_of(ImageFormat::Tiff, 64, 48),
        image_of(ImageFormat::WebP, 64, 48),
        image_of(ImageFormat::Ico, 64, 48),
        heic,
        garbage,
        vec![b'{'; 2000],
    ];
    for image in cases {
        assert!(image.len() >= 1000);
        for path in IMAGE_PATHS {
            assert_rejects(
                &post_image(path, image.clone()),
                &catalogue::IMAGE_FORMAT_UNSUPPORTED,
            );
        }
    }
}

#[test]
fn empty_and_tiny_bodies_are_too_small_whatever_their_bytes() {
    let tiff = image_of(ImageFormat::Tiff, 4, 4);
    for body in [
        Vec::new(),
        vec![0],
        b"\xff\xd8\xff".to_vec(),
        tiff,
        vec![b'x'; 999],
    ] {
        assert!(body.len() < 1000);
        for path in IMAGE_PATHS {
            assert_rejects(&post_image(path, body.clone()), &catalogue::IMAGE_TOO_SMALL);
        }
    }
}

#[test]
fn recognised_formats_with_unreadable_headers_pass_unmeasured() {
    let jpeg = image_of(ImageFormat::Jpeg, 64, 48);
    let png = image_of(ImageFormat::Png, 64, 48);
    let bmp = image_of(ImageFormat::Bmp, 64, 48);
    let gif = image_of(ImageFormat::Gif, 64, 48);
    let cases = [
        // Cut short before the frame header, padded to a legal size.
        padded(jpeg[..4].to_vec(), 2000),
        // JPEG magic, then no frame header.
        padded(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec(), 2000),
        // PNG signature, then something other than IHDR.
        [&png[..8], b"\0\0\0\x0dJUNK", &png[16..]].concat(),
        padded(png[..8].to_vec(), 2000),
        // BMP with a DIB header size no version has.
        [&bmp[..14], &[7, 0, 0, 0], &bmp[18..]].concat(),
        // GIF with a zero-sized screen.
        [&gif[..6], &[0, 0, 0, 0], &gif[10..]].concat(),
    ];
    // The magic bytes decide the format; the service's decoder judges the
    // rest, and a size this crate cannot read is no reason to refuse.
    for image in cases {
        assert_passes(&post_image("/face/v1.2/detect", image.clone()));
        assert_passes(&post_image(
            "/face/v1.2/largefacelists/f/persistedfaces?targetFace=5000,5000,1,1",
            image,
        ));
    }
}

#[test]
fn size_edges_on_both_sides() {
    let small = image_of(ImageFormat::Jpeg, 8, 8);
    assert!(small.len() < 999);
    assert_rejects(
        &post_image("/face/v1.2/detect", padded(small.clone(), 999)),
        &catalogue::IMAGE_TOO_SMALL,
    );
    // 1 KB read as 1,000 bytes: accepted under both readings of the unit.
    assert_passes(&post_image(
        "/face/v1.2/detect",
        padded(small.clone(), 1000),
    ));
    assert_passes(&post_image(
        "/face/v1.2/detect",
        padded(small.clone(), 1024),
    ));
    assert_passes(&post_image(
        "/face/v1.2/detect",
        padded(small.clone(), MAX_IMAGE_BYTES),
    ));
    assert_eq!(MAX_IMAGE_BYTES, 6_291_456);
    assert_rejects(
        &post_image("/face/v1.2/detect", padded(small, MAX_IMAGE_BYTES + 1)),
        &catalogue::IMAGE_TOO_BIG,
    );
}

#[test]
fn size_is_judged_before_format() {
    let tiff = image_of(ImageFormat::Tiff, 4, 4);
    assert!(tiff.len() < 1000);
    assert_rejects(
        &post_image("/face/v1.2/detect", tiff),
        &catalogue::IMAGE_TOO_SMALL,
    );
    assert_rejects(
        &post_image("/face/v1.2/detect", vec![0xAB; 600]),
        &catalogue::IMAGE_TOO_SMALL,
    );
    assert_rejects(
        &post_image("/face/v1.2/detect", vec![0xAB; 7_000_000]),
        &catalogue::IMAGE_TOO_BIG,
    );
}

#[test]
fn a_real_large_jpeg_passes() {
    let jpeg = jpeg_at_least(1_000_000);
    assert!(jpeg.len() <= MAX_IMAGE_BYTES);
    assert_passes(&post_image(
        "/face/v1.2/detect?detectionModel=detection_03",
        jpeg,
    ));
}

#[test]
fn target_face() {
    let image = image_of(ImageFormat::Png, 100, 80);
    let path = "/face/v1.2/largefacelists/f/persistedfaces";
    for inside in [
        "0,0,100,80",
        "10,10,50,50",
        "99,79,1,1",
        "%201,%202,%203,%204",
        "0,0,0,0",
    ] {
        assert_passes(&post_image(
            &format!("{path}?targetFace={inside}"),
            image.clone(),
        ));
    }
    for outside in [
        "0,0,101,80",
        "50,50,51,10",
        "100,0,1,1",
        "0,80,1,1",
        "2147483647,0,1,1",
    ] {
        assert_rejects(
            &post_image(&format!("{path}?targetFace={outside}"), image.clone()),
            &catalogue::TARGET_FACE_OUT_OF_RANGE,
        );
    }
    for invalid in [
        "1,2,3",
        "1,2,3,4,5",
        "-1,0,10,10",
        "a,b,c,d",
        "1.5,0,10,10",
        "1;2;3;4",
        "99999999999,0,1,1",
    ] {
        let request = post_image(&format!("{path}?targetFace={invalid}"), image.clone());
        assert_rejects(&request, &catalogue::TARGET_FACE_INVALID);
    }
    // With a URL body the image is unknown: only the form is checked.
    let url = r#"{"url":"https://example.com/a.jpg"}"#;
    assert_passes(&post_json(&format!("{path}?targetFace=0,0,5000,5000"), url));
    assert_rejects(
        &post_json(&format!("{path}?targetFace=1,2"), url),
        &catalogue::TARGET_FACE_INVALID,
    );
}

#[test]
fn add_face_user_data() {
    let url = r#"{"url":"https://example.com/a.jpg"}"#;
    let path =
        "/face/v1.2/persongroups/g/persons/c5c24a82-6845-4031-9d5d-978df9175426/persistedfaces";
    assert_passes(&post_json(
        &format!("{path}?userData={}", "u".repeat(1024)),
        url,
    ));
    assert_rejects(
        &post_json(&format!("{path}?userData={}", "u".repeat(1025)), url),
        &catalogue::USER_DATA_TOO_LONG,
    );
}

#[test]
fn url_bodies() {
    for path in IMAGE_PATHS {
        assert_passes(&post_json(
            path,
            r#"{"url":"https://example.com/face.jpg"}"#,
        ));
        assert_passes(&post_json(path, r#"{"URL":"http://10.0.0.1:8080/f?x=1"}"#));
        for shape in [
            "{}",
            r#"{"url":["https://a.b/c"]}"#,
            r#"{"url":null}"#,
            "[]",
            r#"{"uri":"https://a.b/c"}"#,
        ] {
            assert_rejects(&post_json(path, shape), &catalogue::REQUEST_BODY_INVALID);
        }
        for bad in [
            "face.jpg",
            "/images/face.jpg",
            "ftp://example.com/f.jpg",
            "https://",
            "https://exa mple.com/f.jpg",
            "",
        ] {
            let body = format!(r#"{{"url":"{bad}"}}"#);
            assert_rejects(&post_json(path, &body), &catalogue::IMAGE_URL_INVALID);
        }
        // A number is read as its text, which is no URL.
        assert_rejects(
            &post_json(path, r#"{"url":42}"#),
            &catalogue::IMAGE_URL_INVALID,
        );
        // .NET's Uri takes inner spaces (clients escape them) and trims
        // surrounding whitespace.
        for good in [
            "https://example.com/my face.jpg",
            " https://example.com/a b/c d.jpg\t",
            "https://example.com/f.jpg?name=a b",
        ] {
            let body = format!(r#"{{"url":"{good}"}}"#);
            assert_passes(&post_json(path, &body));
        }
    }
}

#[test]
fn session_image_bodies_by_version() {
    let body = r#"{"sessionImageId":"3d035d35-2e01-4ed4-8935-577afde9caaa"}"#;
    assert_passes(&post_json("/face/v1.2/detect", body));
    assert_passes(&post_json("/face/v1.2-preview.1/detect", body));
    assert_rejects(
        &post_json("/face/v1.0/detect", body),
        &catalogue::REQUEST_BODY_INVALID,
    );
    assert_rejects(
        &post_json("/face/v1.2/facelists/f/persistedfaces", body),
        &catalogue::REQUEST_BODY_INVALID,
    );
    assert_rejects(
        &post_json("/face/v1.2/detect", r#"{"sessionImageId":{"id":7}}"#),
        &catalogue::REQUEST_BODY_INVALID,
    );
}

fn detect_url(query: &str) -> http::Request<bytes::Bytes> {
    post_json(
        &format!("/face/v1.2/detect?{query}"),
        r#"{"url":"https://example.com/face.jpg"}"#,
    )
}

#[test]
fn the_official_example_passes() {
    // Detect.json / DetectFromUrl.json of the v1.2 specification.
    let query = "returnFaceId=true&returnFaceLandmarks=true&returnFaceAttributes=glasses,headPose,occlusion,accessories,blur,exposure,noise,qualityForRecognition&recognitionModel=recognition_03&returnRecognitionModel=true&detectionModel=detection_01&faceIdTimeToLive=60";
    assert_passes(&detect_url(query));
    let image = image_of(ImageFormat::Jpeg, 64, 64);
    assert_passes(&post_image(&format!("/face/v1.2/detect?{query}"), image));
}

#[test]
fn return_face_attributes() {
    for unknown in ["accessory", "emotions", "headPose,foo", "%7Bstring%7D"] {
        assert_rejects(
            &detect_url(&format!("returnFaceAttributes={unknown}")),
            &catalogue::RETURN_FACE_ATTRIBUTES_INVALID,
        );
    }
    for deprecated in [
        "emotion",
        "gender",
        "age",
        "smile",
        "facialHair",
        "hair",
        "makeup",
        "headPose,Age",
    ] {
        assert_rejects(
            &detect_url(&format!("returnFaceAttributes={deprecated}")),
            &catalogue::ATTRIBUTES_DEPRECATED,
        );
        assert_rejects(
            &request(
                Method::POST,
                &format!("/face/v1.0/detect?returnFaceAttributes={deprecated}"),
                Some("application/json"),
                r#"{"url":"https://a.b/c.jpg"}"#,
            ),
            &catalogue::ATTRIBUTES_DEPRECATED,
        );
    }
    // Names and values are read without regard to case; empty items are
    // not errors.
    assert_passes(&detect_url("ReturnFaceAttributes=HEADPOSE,Mask,blur"));
    // Items are not trimmed: the service refused "headPose, blur"
    // (Cognitive-Face-Python#51).
    for spaced in [
        "headPose,%20blur",
        "headPose,+blur",
        "headPose%20",
        "%20headPose",
    ] {
        assert_rejects(
            &detect_url(&format!("returnFaceAttributes={spaced}")),
            &catalogue::RETURN_FACE_ATTRIBUTES_INVALID,
        );
    }
    assert_passes(&detect_url("returnFaceAttributes="));
    assert_passes(&detect_url("returnFaceAttributes=headPose,,glasses"));
}

#[test]
fn limited_attributes_for_approved_resources() {
    let layer = PreflightLayer::new().allow_limited_attributes(true);
    for limited in [
        "age",
        "smile",
        "facialHair",
        "hair",
        "makeup",
        "age,smile,headPose",
    ] {
        assert!(
            layer
                .check(&detect_url(&format!("returnFaceAttributes={limited}")))
                .is_ok(),
            "{limited}"
        );
    }
    for retired in ["emotion", "gender", "age,gender"] {
        let error = layer
            .check(&detect_url(&format!("returnFaceAttributes={retired}")))
            .unwrap_err();
        assert_error(&error, &catalogue::ATTRIBUTES_DEPRECATED);
    }
}

#[test]
fn detection_02_returns_no_attributes_and_no_landmarks() {
    for attributes in ["mask", "headPose", "blur,noise"] {
        assert_rejects(
            &detect_url(&format!(
                "detectionModel=detection_02&returnFaceAttributes={attributes}"
            )),
            &catalogue::ATTRIBUTES_NOT_SUPPORTED_BY_DETECTION_02,
        );
    }
    assert_rejects(
        &detect_url("detectionModel=Detection_02&returnFaceLandmarks=true"),
        &catalogue::LANDMARKS_NOT_SUPPORTED_BY_DETECTION_02,
    );
    assert_rejects(
        &detect_url("detectionModel=detection_02&returnFaceLandmarks=True"),
        &catalogue::LANDMARKS_NOT_SUPPORTED_BY_DETECTION_02,
    );
    assert_passes(&detect_url(
        "detectionModel=detection_02&returnFaceLandmarks=false&returnFaceAttributes=",
    ));
    assert_passes(&detect_url(
        "detectionModel=detection_02&recognitionModel=recognition_04&returnFaceId=true",
    ));
    // Attributes are judged before landmarks.
    assert_rejects(
        &detect_url(
            "detectionModel=detection_02&returnFaceLandmarks=true&returnFaceAttributes=mask",
        ),
        &catalogue::ATTRIBUTES_NOT_SUPPORTED_BY_DETECTION_02,
    );
}

#[test]
fn detection_03_returns_head_pose_mask_blur_and_quality() {
    assert_passes(&detect_url("detectionModel=detection_03&recognitionModel=recognition_04&returnFaceAttributes=headPose,mask,blur,qualityForRecognition&returnFaceLandmarks=true"));
    for other in [
        "glasses",
        "occlusion",
        "accessories",
        "exposure",
        "noise",
        "mask,glasses",
    ] {
        assert_rejects(
            &detect_url(&format!(
                "detectionModel=detection_03&returnFaceAttributes={other}"
            )),
            &catalogue::RETURN_FACE_ATTRIBUTES_INVALID,
        );
    }
    // detection_01 (also the default) with mask: not documented either way.
    assert_passes(&detect_url("returnFaceAttributes=mask"));
}

#[test]
fn quality_for_recognition_needs_recognition_03_or_04() {
    for model in ["recognition_01", "recognition_02"] {
        assert_rejects(
            &detect_url(&format!(
                "recognitionModel={model}&returnFaceAttributes=qualityForRecognition"
            )),
            &catalogue::RETURN_FACE_ATTRIBUTES_INVALID,
        );
    }
    assert_passes(&detect_url(
        "recognitionModel=recognition_03&returnFaceAttributes=qualityForRecognition",
    ));
    // With no model given the default's behaviour is not documented.
    assert_passes(&detect_url("returnFaceAttributes=qualityForRecognition"));
}

#[test]
fn query_is_judged_before_the_body() {
    let tiff = image_of(ImageFormat::Tiff, 64, 64);
    assert_rejects(
        &post_image("/face/v1.2/detect?detectionModel=x", tiff.clone()),
        &catalogue::DETECTION_MODEL_INVALID,
    );
    assert_rejects(
        &post_image("/face/v1.2/facelists/F/persistedfaces", tiff),
        &catalogue::FACE_LIST_ID_NOT_FOUND,
    );
}
