//! `POST /identify`.

use crate::catalogue;
use crate::json::Object;
use crate::router::ApiVersion;
use crate::rules::recognition::{
    check_body_collection_id, check_face_ids, check_guid_array, check_max_candidates,
};
use crate::rules::Verdict;

const MAX_FACE_IDS: usize = 10;
const MAX_CANDIDATES: i64 = 100;

pub(crate) fn check_identify(version: ApiVersion, body: &Object<'_>) -> Verdict {
    check_face_ids(body, "faceIds", 1, MAX_FACE_IDS)?;
    check_scope(version, body)?;
    check_body_collection_id(body, "personGroupId", catalogue::PERSON_GROUP_ID_INVALID)?;
    check_body_collection_id(
        body,
        "largePersonGroupId",
        catalogue::LARGE_PERSON_GROUP_ID_INVALID,
    )?;
    check_body_collection_id(
        body,
        "dynamicPersonGroupId",
        catalogue::DYNAMIC_PERSON_GROUP_ID_INVALID,
    )?;
    if let Some(person_ids) = body.array("personIds")? {
        // `["*"]` means the whole Person Directory.
        let whole_directory = person_ids.len == 1 && person_ids.first.as_deref() == Some("*");
        if !whole_directory {
            check_guid_array(person_ids)?;
        }
    }
    check_max_candidates(body, MAX_CANDIDATES)?;
    match body.number("confidenceThreshold")? {
        Some(t) if !(0.0..=1.0).contains(&t) => Err(catalogue::CONFIDENCE_THRESHOLD_INVALID.into()),
        _ => Ok(()),
    }
}

/// Exactly one identification scope. v1.0 knows person groups and large
/// person groups only; later versions add dynamic person groups and
/// Person Directory `personIds`.
fn check_scope(version: ApiVersion, body: &Object<'_>) -> Verdict {
    // A scope field of the wrong JSON type fails binding before any scope rule.
    for field in [
        "personGroupId",
        "largePersonGroupId",
        "dynamicPersonGroupId",
    ] {
        body.str(field)?;
    }
    body.array("personIds")?;
    let group = body.has("personGroupId");
    let large_group = body.has("largePersonGroupId");
    let dynamic_group = body.has("dynamicPersonGroupId");
    let person_ids = body.has("personIds");
    if !version.has_scopes_beyond_groups() {
        if dynamic_group || person_ids {
            // Whether the v1.0 endpoint also serves the newer scopes is not
            // documented: let the service decide.
            return Ok(());
        }
        return match (group, large_group) {
            (true, true) => Err(catalogue::GROUP_IDS_BOTH_NOT_NULL.into()),
            (false, false) => Err(catalogue::GROUP_IDS_BOTH_NULL.into()),
            _ => Ok(()),
        };
    }
    match [group, large_group, dynamic_group, person_ids] {
        [false, false, false, false] => Err(catalogue::MISSING_IDENTIFICATION_SCOPE.into()),
        [true, true, false, false] => Err(catalogue::GROUP_IDS_BOTH_NOT_NULL.into()),
        scopes if scopes.iter().filter(|s| **s).count() > 1 => {
            Err(catalogue::INCOMPATIBLE_IDENTIFICATION_SCOPE.into())
        }
        _ => Ok(()),
    }
}
