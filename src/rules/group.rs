//! `POST /group`.

use crate::json::Object;
use crate::router::ApiVersion;
use crate::rules::recognition::check_face_ids;
use crate::rules::Verdict;

/// "Group API needs at least 2 candidate faces and 1000 at most."
pub(crate) fn check_group(_: ApiVersion, body: &Object<'_>) -> Verdict {
    check_face_ids(body, "faceIds", 2, 1000)
}
