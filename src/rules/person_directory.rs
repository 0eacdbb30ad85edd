//! Person Directory (v1.1-preview.1 and v1.2-preview.1): dynamic person
//! groups. Persons and their faces share the collections' body rules; path
//! IDs, the recognition model segment and listings are checked with the
//! other families'.

use crate::json::{Object, Shape};
use crate::router::ApiVersion;
use crate::rules::fields::{check_name_and_user_data, check_not_both_empty, MAX_USER_DATA_LEN};
use crate::rules::recognition::check_guid_array;
use crate::rules::Verdict;

/// `PUT /dynamicpersongroups/{id}`. Two overloads share the URL: with
/// `addPersonIds` (at least one) or without.
pub(crate) fn check_create_dynamic_person_group(_: ApiVersion, body: &Object<'_>) -> Verdict {
    if let Some(add) = body.array("addPersonIds")? {
        check_guid_array(add)?;
        if add.len == 0 {
            return Err(Shape.into());
        }
    }
    check_name_and_user_data(body, true, MAX_USER_DATA_LEN)
}

/// `PATCH /dynamicpersongroups/{id}`.
pub(crate) fn check_update_dynamic_person_group(_: ApiVersion, body: &Object<'_>) -> Verdict {
    let add = body.array("addPersonIds")?;
    let remove = body.array("removePersonIds")?;
    for ids in add.iter().chain(remove.iter()) {
        check_guid_array(ids)?;
    }
    // Without person changes this is the plain update, where the table
    // documents the both-empty row.
    if add.is_none() && remove.is_none() {
        check_not_both_empty(body)?;
    }
    check_name_and_user_data(body, false, MAX_USER_DATA_LEN)
}
