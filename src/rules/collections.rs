//! Face lists, large face lists, person groups and large person groups:
//! bodies of create and update, for the collections, their persons and
//! their faces (Person Directory's persons and faces share them). Path IDs
//! are checked in [`ids`](super::ids); listings in [`fields`](super::fields).

use crate::json::Object;
use crate::router::ApiVersion;
use crate::rules::fields::{
    check_name_and_user_data, check_not_both_empty, check_recognition_model, check_user_data,
    MAX_FACE_USER_DATA_LEN, MAX_USER_DATA_LEN,
};
use crate::rules::Verdict;

/// v1.0's `NameAndUserDataContract` does not require `name`; later versions do.
fn name_required(version: ApiVersion) -> bool {
    version.requires_collection_name()
}

/// `PUT` of a face list, large face list, person group or large person group.
pub(crate) fn check_create_collection(version: ApiVersion, body: &Object<'_>) -> Verdict {
    check_name_and_user_data(body, name_required(version), MAX_USER_DATA_LEN)?;
    check_recognition_model(body)
}

/// `POST …/persons` of any person owner.
pub(crate) fn check_create_person(version: ApiVersion, body: &Object<'_>) -> Verdict {
    check_name_and_user_data(body, name_required(version), MAX_USER_DATA_LEN)
}

/// `PATCH` of a collection or person with optional `name` and `userData`.
pub(crate) fn check_update_named(_: ApiVersion, body: &Object<'_>) -> Verdict {
    check_name_and_user_data(body, false, MAX_USER_DATA_LEN)
}

/// As [`check_update_named`], where the table documents the both-empty row
/// (large face lists, large person groups, Person Directory persons).
pub(crate) fn check_update_named_not_both_empty(version: ApiVersion, body: &Object<'_>) -> Verdict {
    check_not_both_empty(body)?;
    check_update_named(version, body)
}

/// `PATCH` of a persisted face.
pub(crate) fn check_update_face(_: ApiVersion, body: &Object<'_>) -> Verdict {
    check_user_data(body, MAX_FACE_USER_DATA_LEN)
}
