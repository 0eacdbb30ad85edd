//! Person Directory (v1.1-preview.1 and v1.2-preview.1): persons and dynamic
//! person groups. Path IDs, the recognition model segment and listings are
//! checked with the other families'; this module holds the bodies.

use crate::error::FaceApiError;
use crate::json::{Object, Shape};
use crate::router::{Collection, Operation, PersonOwner};
use crate::rules::fields::{
    check_name_and_user_data, check_not_both_empty, check_user_data, MAX_FACE_USER_DATA_LEN,
    MAX_USER_DATA_LEN,
};
use crate::rules::recognition::check_guid_array;

pub(crate) fn check_person_directory_body(
    operation: Operation,
    body: &Object<'_>,
) -> Result<(), FaceApiError> {
    const DYNAMIC: Collection = Collection::DynamicPersonGroup;
    const DIRECTORY: PersonOwner = PersonOwner::PersonDirectory;
    match operation {
        Operation::CreatePerson(DIRECTORY) => {
            check_name_and_user_data(body, true, MAX_USER_DATA_LEN)
        }
        Operation::UpdatePerson(DIRECTORY) => {
            check_not_both_empty(body)?;
            check_name_and_user_data(body, false, MAX_USER_DATA_LEN)
        }
        Operation::UpdateFace(_) => check_user_data(body, MAX_FACE_USER_DATA_LEN),
        Operation::CreateCollection(DYNAMIC) => {
            // Two overloads share the URL: with `addPersonIds` (at least
            // one) or without.
            if let Some(add) = body.array("addPersonIds")? {
                check_guid_array(add)?;
                if add.len == 0 {
                    return Err(Shape.into());
                }
            }
            check_name_and_user_data(body, true, MAX_USER_DATA_LEN)
        }
        Operation::UpdateCollection(DYNAMIC) => {
            let add = body.array("addPersonIds")?;
            let remove = body.array("removePersonIds")?;
            for ids in add.iter().chain(remove.iter()) {
                check_guid_array(ids)?;
            }
            // Without person changes this is the plain update, where the
            // table documents the both-empty row.
            if add.is_none() && remove.is_none() {
                check_not_both_empty(body)?;
            }
            check_name_and_user_data(body, false, MAX_USER_DATA_LEN)
        }
        _ => Ok(()),
    }
}
