//! `POST /verify`: face to face, or face to person.

use crate::catalogue;
use crate::json::{Object, Shape};
use crate::router::ApiVersion;
use crate::rules::recognition::{check_body_collection_id, check_guid_field};
use crate::rules::Verdict;

pub(crate) fn check_verify(version: ApiVersion, body: &Object<'_>) -> Verdict {
    if body.has("faceId1") || body.has("faceId2") {
        for field in ["faceId1", "faceId2"] {
            body.str(field)?.ok_or(Shape)?;
            check_guid_field(body, field, catalogue::FACE_ID_INVALID)?;
        }
        return Ok(());
    }
    if !body.has("faceId") && !body.has("personId") {
        return Err(Shape.into());
    }
    body.str("faceId")?.ok_or(Shape)?;
    body.str("personId")?.ok_or(Shape)?;
    check_guid_field(body, "faceId", catalogue::FACE_ID_INVALID)?;
    check_guid_field(body, "personId", catalogue::PERSON_ID_INVALID)?;
    let group = body.str("personGroupId")?.is_some();
    let large_group = body.str("largePersonGroupId")?.is_some();
    // v1.0 verifies against a group only; later versions also against a
    // Person Directory person (no group at all).
    if !version.has_scopes_beyond_groups() && !group && !large_group {
        return Err(Shape.into());
    }
    check_body_collection_id(body, "personGroupId", catalogue::PERSON_GROUP_ID_INVALID)?;
    check_body_collection_id(
        body,
        "largePersonGroupId",
        catalogue::LARGE_PERSON_GROUP_ID_INVALID,
    )
}
