//! Body checks shared by identify, verify, find similar and group.

use crate::catalogue::{self, Entry};
use crate::json::{Array, Object, Shape};
use crate::rules::ids::{is_collection_id, is_guid};
use crate::rules::Verdict;

/// A required array of face IDs, each a GUID (a non-GUID fails the service's
/// binding, which answers "Request body is invalid."), with `min..=max`
/// elements.
pub(crate) fn check_face_ids(body: &Object<'_>, field: &str, min: usize, max: usize) -> Verdict {
    let ids = body.array(field)?.ok_or(Shape)?;
    check_guid_array(ids)?;
    if !(min..=max).contains(&ids.len) {
        return Err(catalogue::FACE_IDS_LENGTH_INVALID.into());
    }
    Ok(())
}

/// Every element a GUID string.
pub(crate) fn check_guid_array(ids: &Array<'_>) -> Result<(), Shape> {
    if ids.non_strings > 0 || ids.non_guids > 0 {
        return Err(Shape);
    }
    Ok(())
}

/// An optional collection ID in the body: a string of the documented
/// charset, else `error`.
pub(crate) fn check_body_collection_id(body: &Object<'_>, field: &str, error: Entry) -> Verdict {
    match body.str(field)? {
        Some(id) if !is_collection_id(id) => Err(error.into()),
        _ => Ok(()),
    }
}

/// An optional GUID field, else `error`.
pub(crate) fn check_guid_field(body: &Object<'_>, field: &str, error: Entry) -> Verdict {
    match body.str(field)? {
        Some(id) if !is_guid(id) => Err(error.into()),
        _ => Ok(()),
    }
}

/// `maxNumOfCandidatesReturned`, if present, in `1..=max`.
pub(crate) fn check_max_candidates(body: &Object<'_>, max: i64) -> Verdict {
    match body.int("maxNumOfCandidatesReturned")? {
        Some(n) if !(1..=max).contains(&n) => Err(catalogue::MAX_NUM_OF_CANDIDATES_INVALID.into()),
        _ => Ok(()),
    }
}
