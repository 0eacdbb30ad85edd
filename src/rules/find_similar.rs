//! `POST /findsimilars`.

use crate::catalogue;
use crate::json::{Object, Shape, Value};
use crate::router::ApiVersion;
use crate::rules::ids::is_guid;
use crate::rules::recognition::{check_body_collection_id, check_face_ids, check_max_candidates};
use crate::rules::Verdict;

const MAX_FACE_IDS: usize = 1000;
const MAX_CANDIDATES: i64 = 1000;

pub(crate) fn check_find_similar(_: ApiVersion, body: &Object<'_>) -> Verdict {
    let face_id = body.str("faceId")?.ok_or(Shape)?;
    if !is_guid(face_id) {
        return Err(Shape.into());
    }
    let sources = ["faceListId", "largeFaceListId", "faceIds"];
    match sources.iter().filter(|field| body.has(field)).count() {
        0 => return Err(catalogue::FACE_SOURCES_ALL_NULL.into()),
        1 => {}
        _ => return Err(catalogue::TWO_OR_MORE_FACE_SOURCES.into()),
    }
    let empty_list_id = ["faceListId", "largeFaceListId"]
        .iter()
        .any(|field| matches!(body.get(field), Some(Value::Str(id)) if id.is_empty()));
    if empty_list_id {
        return Err(catalogue::NOT_EXACTLY_ONE_FACE_SOURCE.into());
    }
    check_body_collection_id(body, "faceListId", catalogue::FACE_LIST_ID_INVALID)?;
    check_body_collection_id(
        body,
        "largeFaceListId",
        catalogue::LARGE_FACE_LIST_ID_INVALID,
    )?;
    if body.has("faceIds") {
        check_face_ids(body, "faceIds", 1, MAX_FACE_IDS)?;
    }
    check_max_candidates(body, MAX_CANDIDATES)?;
    match body.enum_text("mode")? {
        Some(mode)
            if !mode.eq_ignore_ascii_case("matchPerson")
                && !mode.eq_ignore_ascii_case("matchFace") =>
        {
            Err(catalogue::MODE_INVALID.into())
        }
        _ => Ok(()),
    }
}
