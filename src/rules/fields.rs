//! Checks of fields that appear in many operations: `name`, `userData`,
//! model names, and the `start`/`top` of listings.

use crate::catalogue::{self, Entry};
use crate::json::{Object, Shape};
pub(crate) use crate::lexical::parse_int;
pub(crate) use crate::lexical::{is_detection_model, is_guid, is_recognition_model};
use crate::rules::query::Query;
use crate::rules::Verdict;

/// `name`: 1 to 128 characters.
pub(crate) const MAX_NAME_LEN: usize = 128;
/// `userData` of collections and persons: 16K.
pub(crate) const MAX_USER_DATA_LEN: usize = 16 * 1024;
/// `userData` of a persisted face: 1K.
pub(crate) const MAX_FACE_USER_DATA_LEN: usize = 1024;
/// `start` of listings: "no more than 64 characters".
const MAX_START_LEN: usize = 64;

/// Longer than `max` as the service counts a string's length: it is a
/// .NET service, and a .NET string's length is its count of UTF-16 code
/// units, so a character outside the Basic Multilingual Plane (an emoji,
/// many CJK extension characters) counts twice (issue #27).
pub(crate) fn longer_than(s: &str, max: usize) -> bool {
    // UTF-8 never takes fewer bytes than UTF-16 takes units: a string of at
    // most `max` bytes is within the bound without counting.
    s.len() > max && s.encode_utf16().count() > max
}

/// `name`, `userData` and `recognitionModel` of a create or update body.
/// `name_required` is the schema's `required: ["name"]`.
pub(crate) fn check_name_and_user_data(
    body: &Object<'_>,
    name_required: bool,
    max_user_data: usize,
) -> Verdict {
    match body.str("name")? {
        None if name_required => return Err(Shape.into()),
        Some("") => return Err(catalogue::NAME_EMPTY.into()),
        Some(name) if longer_than(name, MAX_NAME_LEN) => {
            return Err(catalogue::NAME_TOO_LONG.into())
        }
        _ => {}
    }
    check_user_data(body, max_user_data)
}

/// `userData` no longer than `max` characters.
pub(crate) fn check_user_data(body: &Object<'_>, max: usize) -> Verdict {
    match body.str("userData")? {
        Some(data) if longer_than(data, max) => Err(catalogue::USER_DATA_TOO_LONG.into()),
        _ => Ok(()),
    }
}

/// `recognitionModel` in a body, if present, is a documented name.
pub(crate) fn check_recognition_model(body: &Object<'_>) -> Verdict {
    match body.enum_text("recognitionModel")? {
        Some(model) if !is_recognition_model(model) => {
            Err(catalogue::RECOGNITION_MODEL_INVALID.into())
        }
        _ => Ok(()),
    }
}

/// An update body where the table documents "Both 'name' and 'userData' are
/// empty.": one of the two must be there and not empty.
pub(crate) fn check_not_both_empty(body: &Object<'_>) -> Verdict {
    let empty =
        |field: &str| -> Result<bool, Shape> { Ok(body.str(field)?.is_none_or(str::is_empty)) };
    if empty("name")? && empty("userData")? {
        return Err(catalogue::NAME_AND_USER_DATA_EMPTY.into());
    }
    Ok(())
}

/// What `start` of a listing must be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// A collection ID or similar: at most 64 characters.
    Id,
    /// A person ID (Person Directory): a GUID.
    PersonId,
}

/// `start` and `top` of a listing.
pub(crate) fn check_listing(query: &Query<'_>, start: Start) -> Result<(), Entry> {
    if let Some(value) = query.get("start") {
        match start {
            Start::Id if longer_than(&value, MAX_START_LEN) => {
                return Err(catalogue::START_TOO_LONG)
            }
            Start::PersonId if !value.is_empty() && !is_guid(&value) => {
                return Err(catalogue::START_NOT_VALID_PERSON_ID)
            }
            _ => {}
        }
    }
    if !top_in_range(query) {
        return Err(catalogue::TOP_INVALID);
    }
    Ok(())
}

/// `top`, if given, is an integer from 1 to 1000. An empty value counts as
/// absent, as the service's binder treats it.
pub(crate) fn top_in_range(query: &Query<'_>) -> bool {
    match query.get("top") {
        Some(top) if !top.trim().is_empty() => {
            parse_int(&top).is_some_and(|top| (1..=1000).contains(&top))
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters() {
        assert!(!longer_than(&"é".repeat(128), 128));
        assert!(longer_than(&"é".repeat(129), 128));
        // An emoji is two UTF-16 units: 64 fill a name, 65 are too long.
        assert!(!longer_than(&"😀".repeat(64), 128));
        assert!(longer_than(&"😀".repeat(65), 128));
        assert!(longer_than(&format!("{}😀", "n".repeat(127)), 128));
        assert!(!longer_than("", 0));
    }
}
