//! Detect and add-face: query parameters and URL bodies.
//!
//! The attribute × detection model rules follow the sources listed in
//! `face-rest-detect-attributes.md`: detection_02 returns no attributes and
//! no landmarks; detection_03 returns headPose, mask, blur and
//! qualityForRecognition only; qualityForRecognition needs recognition_03
//! or recognition_04. Cells the sources leave open (mask with detection_01)
//! are let through.

use crate::catalogue::{self, Entry};
use crate::json::Object;
use crate::router::ApiVersion;
use crate::rules::fields::{
    is_detection_model, is_recognition_model, longer_than, parse_int, MAX_FACE_USER_DATA_LEN,
};
use crate::rules::query::Query;
use crate::rules::{Options, Rejection, Verdict};

/// What this crate knows of a `returnFaceAttributes` item.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attribute {
    /// In the enum of v1.1-preview.1 on; `detection_03` returns it.
    ForDetection03,
    /// In the enum of v1.1-preview.1 on; not returned by `detection_03`.
    Other,
    /// Limited access (age, smile, facialHair, hair, makeup): 403 unless
    /// the resource is approved.
    Limited,
    /// Retired for everyone (emotion, gender).
    Retired,
    /// `qualityForRecognition`: needs recognition_03 or recognition_04.
    Quality,
}

/// The attribute an item names (any ASCII case); `None` for an unknown
/// name. Every version accepts the union of the enums: mask and
/// qualityForRecognition came after the v1.0 enum was written, yet a 2024
/// v1.0 answer lists them as supported; gender, emotion and makeup are in
/// v1.0's list only.
fn attribute(name: &str) -> Option<Attribute> {
    let mut buffer = [0u8; 24];
    let lower = buffer.get_mut(..name.len())?;
    for (to, from) in lower.iter_mut().zip(name.bytes()) {
        *to = from.to_ascii_lowercase();
    }
    Some(match &*lower {
        b"headpose" | b"mask" | b"blur" => Attribute::ForDetection03,
        b"qualityforrecognition" => Attribute::Quality,
        b"glasses" | b"occlusion" | b"accessories" | b"exposure" | b"noise" => Attribute::Other,
        b"age" | b"smile" | b"facialhair" | b"hair" | b"makeup" => Attribute::Limited,
        b"emotion" | b"gender" => Attribute::Retired,
        _ => return None,
    })
}

/// A face rectangle: `targetFace=left,top,width,height`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rect {
    pub left: u64,
    pub top: u64,
    pub width: u64,
    pub height: u64,
}

impl Rect {
    fn parse(value: &str) -> Option<Self> {
        let mut numbers = value.split(',').map(|n| {
            parse_int(n)
                .and_then(|n| u64::try_from(n).ok())
                .filter(|n| *n <= i32::MAX as u64)
        });
        let rect = Rect {
            left: numbers.next()??,
            top: numbers.next()??,
            width: numbers.next()??,
            height: numbers.next()??,
        };
        numbers.next().is_none().then_some(rect)
    }

    /// Whether the rectangle lies inside an image of `width` × `height`.
    pub(crate) fn fits(&self, width: u64, height: u64) -> bool {
        self.left + self.width <= width && self.top + self.height <= height
    }
}

/// Query of `POST /detect`.
pub(crate) fn check_detect_query(query: &Query<'_>, options: &Options) -> Result<(), Entry> {
    let detection_model = query.get("detectionModel");
    let detection_model = detection_model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if detection_model.is_some_and(|m| !is_detection_model(m)) {
        return Err(catalogue::DETECTION_MODEL_INVALID);
    }
    let recognition_model = query.get("recognitionModel");
    let recognition_model = recognition_model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if recognition_model.is_some_and(|m| !is_recognition_model(m)) {
        return Err(catalogue::RECOGNITION_MODEL_INVALID);
    }
    // detection_01 is the default of every version.
    let detection_model = detection_model.unwrap_or("detection_01");

    if let Some(attributes) = query.get("returnFaceAttributes") {
        // Items are not trimmed: the service answered "headPose, blur" with
        // "Invalid argument returnFaceAttributes." (Cognitive-Face-Python#51).
        // Empty items (a trailing comma) are let through.
        let attributes: Vec<&str> = attributes.split(',').filter(|a| !a.is_empty()).collect();
        check_attributes(&attributes, detection_model, recognition_model, options)?;
    }
    if query.flag("returnFaceLandmarks") == Some(true)
        && detection_model.eq_ignore_ascii_case("detection_02")
    {
        return Err(catalogue::LANDMARKS_NOT_SUPPORTED_BY_DETECTION_02);
    }
    Ok(())
}

fn check_attributes(
    attributes: &[&str],
    detection_model: &str,
    recognition_model: Option<&str>,
    options: &Options,
) -> Result<(), Entry> {
    let mut kinds = [Attribute::Other; 16];
    let mut count = 0;
    for name in attributes {
        let kind = attribute(name).ok_or(catalogue::RETURN_FACE_ATTRIBUTES_INVALID)?;
        let approved = options.allow_limited_attributes && kind == Attribute::Limited;
        if matches!(kind, Attribute::Limited | Attribute::Retired) && !approved {
            return Err(catalogue::ATTRIBUTES_DEPRECATED);
        }
        if let Some(slot) = kinds.get_mut(count) {
            *slot = kind;
            count += 1;
        }
    }
    let kinds = kinds.get(..count).unwrap_or_default();
    if attributes.is_empty() {
        return Ok(());
    }
    if detection_model.eq_ignore_ascii_case("detection_02") {
        return Err(catalogue::ATTRIBUTES_NOT_SUPPORTED_BY_DETECTION_02);
    }
    // (More than 16 items: the rest are still known and allowed above; the
    // model rules below judge the first 16, a miss at worst.)
    if detection_model.eq_ignore_ascii_case("detection_03")
        && kinds
            .iter()
            .any(|k| !matches!(k, Attribute::ForDetection03 | Attribute::Quality))
    {
        // The service answers "Only face attributes '…' are supported by
        // detection_03.", which the table lacks; its closest row is this one.
        return Err(catalogue::RETURN_FACE_ATTRIBUTES_INVALID);
    }
    // Only an explicit older model is refused: whether the default
    // (recognition_01) is refused is not documented.
    let old_recognition_model = recognition_model.is_some_and(|m| {
        m.eq_ignore_ascii_case("recognition_01") || m.eq_ignore_ascii_case("recognition_02")
    });
    if old_recognition_model && kinds.contains(&Attribute::Quality) {
        return Err(catalogue::RETURN_FACE_ATTRIBUTES_INVALID);
    }
    Ok(())
}

/// Query of the add-face operations; returns `targetFace` for the image check.
pub(crate) fn check_add_face_query(query: &Query<'_>) -> Result<Option<Rect>, Entry> {
    if let Some(model) = query.get("detectionModel") {
        let model = model.trim();
        if !model.is_empty() && !is_detection_model(model) {
            return Err(catalogue::DETECTION_MODEL_INVALID);
        }
    }
    if let Some(user_data) = query.get("userData") {
        if longer_than(&user_data, MAX_FACE_USER_DATA_LEN) {
            return Err(catalogue::USER_DATA_TOO_LONG);
        }
    }
    match query.get("targetFace") {
        Some(value) if !value.trim().is_empty() => Rect::parse(&value)
            .map(Some)
            .ok_or(catalogue::TARGET_FACE_INVALID),
        _ => Ok(None),
    }
}

/// The JSON body of detect: `{"url": …}`, or from v1.2-preview.1 on also
/// `{"sessionImageId": …}`.
pub(crate) fn check_detect_source(version: ApiVersion, body: &Object<'_>) -> Verdict {
    if version.has_session_images() && !body.has("url") && body.has("sessionImageId") {
        body.str("sessionImageId")?;
        return Ok(());
    }
    check_image_url(version, body)
}

/// The JSON body of an add-face operation: `{"url": …}`.
pub(crate) fn check_image_url(_: ApiVersion, body: &Object<'_>) -> Verdict {
    match body.str("url")? {
        None => Err(Rejection::Shape),
        Some(url) if !is_image_url(url) => Err(catalogue::IMAGE_URL_INVALID.into()),
        Some(_) => Ok(()),
    }
}

/// An absolute http(s) URL with a host (the schema says `format: uri`).
/// Read as .NET's `Uri` reads it: surrounding whitespace trimmed, spaces
/// inside the path and query taken (clients escape them), none in the host.
/// The URL is never fetched.
fn is_image_url(url: &str) -> bool {
    let url = url.trim_matches(|c: char| c.is_whitespace());
    match url::Url::parse(url) {
        Ok(url) => {
            matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|host| !host.is_empty())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_face_parses_four_non_negative_ints() {
        assert_eq!(
            Rect::parse("1,2,3,4"),
            Some(Rect {
                left: 1,
                top: 2,
                width: 3,
                height: 4
            })
        );
        assert_eq!(
            Rect::parse(" 1, 2 ,3,4"),
            Some(Rect {
                left: 1,
                top: 2,
                width: 3,
                height: 4
            })
        );
        for bad in [
            "1,2,3",
            "1,2,3,4,5",
            "-1,2,3,4",
            "a,b,c,d",
            "1.5,2,3,4",
            "",
            "1,,3,4",
        ] {
            assert_eq!(Rect::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn image_urls() {
        for ok in [
            "https://example.com/a.jpg",
            "http://1.2.3.4:8080/x?y=z",
            " https://a.b/c ",
            "https://a.b/c d.jpg",
        ] {
            assert!(is_image_url(ok), "{ok}");
        }
        for bad in [
            "",
            "example.com/a.jpg",
            "ftp://a.b/c",
            "file:///etc/passwd",
            "https://",
            "data:image/png;base64,AAAA",
        ] {
            assert!(!is_image_url(bad), "{bad}");
        }
    }
}
