//! Identifier checks shared by every family: collection IDs, GUIDs, and the
//! IDs in the path.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use crate::catalogue::{self, Entry};
pub(crate) use crate::lexical::is_guid;
use crate::router::{Collection, Matched, Operation};

/// Longest collection ID the service accepts.
const MAX_COLLECTION_ID_LEN: usize = 64;

/// `^[a-z0-9-_]{1,64}$`: person group, large person group, face list, large
/// face list and dynamic person group IDs.
pub(crate) fn is_collection_id(id: &str) -> bool {
    (1..=MAX_COLLECTION_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Whether a path segment, as the service sees it (percent-decoded), is
/// valid. The raw text is tried first: a valid ID of any kind here has no
/// `%`, so only a segment that fails as written is decoded and tried again.
fn segment_is(segment: &str, valid: impl Fn(&str) -> bool) -> bool {
    valid(segment) || (segment.contains('%') && valid(&decoded(segment)))
}

/// A path segment as the service sees it, percent-decoded.
fn decoded(segment: &str) -> Cow<'_, str> {
    if segment.contains('%') {
        percent_decode_str(segment).decode_utf8_lossy()
    } else {
        Cow::Borrowed(segment)
    }
}

/// The error for a malformed collection ID in the path. Creating a
/// collection answers 400 BadArgument; addressing one (get, update, delete,
/// its persons and faces, training) answers 404 "…NotFound" with the same
/// message, as the table lists both and the service was seen answering
/// BadArgument on create. Dynamic person groups have one documented row.
fn collection_id_error(collection: Collection, creating: bool) -> Entry {
    match (collection, creating) {
        (Collection::PersonGroup, true) => catalogue::PERSON_GROUP_ID_INVALID,
        (Collection::PersonGroup, false) => catalogue::PERSON_GROUP_ID_NOT_FOUND,
        (Collection::LargePersonGroup, true) => catalogue::LARGE_PERSON_GROUP_ID_INVALID,
        (Collection::LargePersonGroup, false) => catalogue::LARGE_PERSON_GROUP_ID_NOT_FOUND,
        (Collection::FaceList, true) => catalogue::FACE_LIST_ID_INVALID,
        (Collection::FaceList, false) => catalogue::FACE_LIST_ID_NOT_FOUND,
        (Collection::LargeFaceList, true) => catalogue::LARGE_FACE_LIST_ID_INVALID,
        (Collection::LargeFaceList, false) => catalogue::LARGE_FACE_LIST_ID_NOT_FOUND,
        (Collection::DynamicPersonGroup, _) => catalogue::DYNAMIC_PERSON_GROUP_ID_NOT_FOUND,
    }
}

/// Checks the IDs in the path, as its row's placeholders name them:
/// collection ID, person ID, persisted face ID and Person Directory's
/// recognition model segment.
pub(crate) fn check_path_ids(matched: &Matched<'_>) -> Result<(), Entry> {
    let route = &matched.route;
    if let (Some(collection), Some(id)) = (matched.collection, route.collection_id) {
        if !segment_is(id, is_collection_id) {
            let creating = matches!(route.operation, Operation::CreateCollection(_));
            return Err(collection_id_error(collection, creating));
        }
    }
    if let Some(person_id) = route.person_id {
        if !segment_is(person_id, is_guid) {
            return Err(catalogue::PERSON_ID_NOT_FOUND);
        }
    }
    if let Some(model) = route.recognition_model {
        if !segment_is(model, crate::lexical::is_recognition_model) {
            return Err(catalogue::RECOGNITION_MODEL_INVALID);
        }
    }
    if let Some(face_id) = route.persisted_face_id {
        if !segment_is(face_id, is_guid) {
            // Person Directory spells this row its own way; its faces are
            // the ones below a recognition model.
            return Err(if route.recognition_model.is_some() {
                catalogue::PERSON_DIRECTORY_PERSISTED_FACE_ID_NOT_FOUND
            } else {
                catalogue::PERSISTED_FACE_ID_NOT_FOUND
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_ids() {
        assert!(is_collection_id("a"));
        assert!(is_collection_id("my-group_01"));
        assert!(is_collection_id(&"a".repeat(64)));
        assert!(!is_collection_id(&"a".repeat(65)));
        assert!(!is_collection_id(""));
        assert!(!is_collection_id("Group"));
        assert!(!is_collection_id("a b"));
        assert!(!is_collection_id("é"));
    }

    #[test]
    fn guids_in_every_dotnet_form() {
        for ok in [
            "c5c24a82-6845-4031-9d5d-978df9175426",
            "C5C24A82-6845-4031-9D5D-978DF9175426",
            "c5c24a82684540319d5d978df9175426",
            "{c5c24a82-6845-4031-9d5d-978df9175426}",
            "(c5c24a82-6845-4031-9d5d-978df9175426)",
            " c5c24a82-6845-4031-9d5d-978df9175426 ",
        ] {
            assert!(is_guid(ok), "{ok}");
        }
        for bad in [
            "",
            "*",
            "c5c24a82-6845-4031-9d5d-978df917542",
            "c5c24a82-6845-4031-9d5d-978df917542g",
            "c5c24a8268454031-9d5d-978df9175426x",
            "{c5c24a82-6845-4031-9d5d-978df9175426",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }
}
