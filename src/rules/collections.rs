//! Face lists, large face lists, person groups and large person groups:
//! bodies of create and update, for the collections, their persons and
//! their faces. Path IDs are checked in [`ids`](super::ids); listings in
//! [`fields`](super::fields).

use crate::error::FaceApiError;
use crate::json::Object;
use crate::router::{ApiVersion, Collection, Operation};
use crate::rules::fields::{
    check_name_and_user_data, check_not_both_empty, check_recognition_model, check_user_data,
    MAX_FACE_USER_DATA_LEN, MAX_USER_DATA_LEN,
};

/// JSON bodies of the collection operations (other than adding a face by URL).
pub(crate) fn check_collection_body(
    operation: Operation,
    version: ApiVersion,
    body: &Object<'_>,
) -> Result<(), FaceApiError> {
    // v1.0's `NameAndUserDataContract` does not require `name`; later
    // versions do.
    let name_required = version != ApiVersion::V1_0;
    match operation {
        Operation::CreateCollection(_) => {
            check_name_and_user_data(body, name_required, MAX_USER_DATA_LEN)?;
            check_recognition_model(body)
        }
        Operation::UpdateCollection(collection) => {
            // Only the large collections document this row.
            if matches!(
                collection,
                Collection::LargeFaceList | Collection::LargePersonGroup
            ) {
                check_not_both_empty(body)?;
            }
            check_name_and_user_data(body, false, MAX_USER_DATA_LEN)
        }
        Operation::CreatePerson(_) => {
            check_name_and_user_data(body, name_required, MAX_USER_DATA_LEN)
        }
        Operation::UpdatePerson(_) => check_name_and_user_data(body, false, MAX_USER_DATA_LEN),
        Operation::UpdateFace(_) => check_user_data(body, MAX_FACE_USER_DATA_LEN),
        _ => Ok(()),
    }
}
