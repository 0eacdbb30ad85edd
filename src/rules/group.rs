//! `POST /group`.

use crate::error::FaceApiError;
use crate::json::Object;
use crate::rules::recognition::check_face_ids;

/// "Group API needs at least 2 candidate faces and 1000 at most."
pub(crate) fn check_group(body: &Object<'_>) -> Result<(), FaceApiError> {
    check_face_ids(body, "faceIds", 2, 1000)
}
