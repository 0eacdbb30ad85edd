//! What each operation means to the stateful judges: which answers teach
//! faceIds or a collection's model, which forget a collection, which bodies
//! refer to faceIds, and which requests take a write turn. One exhaustive
//! match: a new operation does not build until its roles are stated.

use crate::catalogue::{self, Entry};

use super::Operation;

/// The stateful roles of one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Roles {
    /// A 2xx answer lists new faceIds (detect).
    pub(crate) teaches_face_ids: bool,
    /// A 2xx answer means the path's collection exists with the body's
    /// recognition model (create).
    pub(crate) teaches_model: bool,
    /// With `returnRecognitionModel=true`, a 2xx answer shows the models of
    /// the collections in it (get, list).
    pub(crate) shows_models: bool,
    /// A 2xx answer means the path's collection is gone (delete).
    pub(crate) forgets_collection: bool,
    /// The body refers to faceIds (and collections).
    pub(crate) refers: Option<FaceReferences>,
    /// The service serialises these per owner of the faces (add and delete
    /// face): one at a time, or 409 ConcurrentOperationConflict.
    pub(crate) write_turn: bool,
}

/// Where a recognition body names faceIds, and what the service answers
/// when one of its probes has expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FaceReferences {
    /// Fields of faceIds whose expiry gets `expired` (the faces asked about).
    pub(crate) probes: &'static [&'static str],
    /// Fields of further faceIds, compared by model only (candidates).
    pub(crate) candidates: &'static [&'static str],
    /// The scope fields the operation reads (the service ignores others).
    pub(crate) collections: &'static [&'static str],
    /// Fields whose presence means the operation reads no scope (verify
    /// face to face).
    pub(crate) face_to_face: &'static [&'static str],
    /// The documented answer to an expired probe; `None` where none is
    /// documented (group), so an expired face is left to the service.
    pub(crate) expired: Option<Entry>,
}

impl Roles {
    /// Whether the learned facts have anything to learn or judge here.
    #[cfg_attr(not(feature = "facts"), allow(dead_code))]
    pub(crate) fn concerns_facts(&self) -> bool {
        self.teaches_face_ids
            || self.teaches_model
            || self.shows_models
            || self.forgets_collection
            || self.refers.is_some()
    }
}

const NONE: Roles = Roles {
    teaches_face_ids: false,
    teaches_model: false,
    shows_models: false,
    forgets_collection: false,
    refers: None,
    write_turn: false,
};

const fn refers(references: FaceReferences) -> Roles {
    Roles {
        refers: Some(references),
        ..NONE
    }
}

const GROUPS: &[&str] = &["personGroupId", "largePersonGroupId"];
const LISTS: &[&str] = &["faceListId", "largeFaceListId"];

impl Operation {
    /// The operation's stateful roles.
    pub(crate) fn roles(self) -> Roles {
        use Operation::*;
        match self {
            Detect => Roles {
                teaches_face_ids: true,
                ..NONE
            },
            Identify => refers(FaceReferences {
                probes: &["faceIds"],
                candidates: &[],
                collections: GROUPS,
                face_to_face: &[],
                expired: Some(catalogue::FACE_NOT_FOUND),
            }),
            Verify => refers(FaceReferences {
                probes: &["faceId", "faceId1", "faceId2"],
                candidates: &[],
                collections: GROUPS,
                face_to_face: &["faceId1", "faceId2"],
                expired: Some(catalogue::VERIFY_FACE_NOT_FOUND),
            }),
            FindSimilar => refers(FaceReferences {
                probes: &["faceId"],
                candidates: &["faceIds"],
                collections: LISTS,
                face_to_face: &[],
                expired: Some(catalogue::FACE_NOT_FOUND),
            }),
            Group => refers(FaceReferences {
                probes: &[],
                candidates: &["faceIds"],
                collections: &[],
                face_to_face: &[],
                expired: None,
            }),
            CreateCollection(_) => Roles {
                teaches_model: true,
                ..NONE
            },
            GetCollection(_) | ListCollections(_) => Roles {
                shows_models: true,
                ..NONE
            },
            DeleteCollection(_) => Roles {
                forgets_collection: true,
                ..NONE
            },
            AddFace(_) | DeleteFace(_) => Roles {
                write_turn: true,
                ..NONE
            },
            UpdateCollection(_)
            | TrainCollection(_)
            | GetTrainingStatus(_)
            | ListPersons(_)
            | CreatePerson(_)
            | GetPerson(_)
            | UpdatePerson(_)
            | DeletePerson(_)
            | ListFaces(_)
            | GetFace(_)
            | UpdateFace(_)
            | ListDynamicPersonGroupReferences
            | ListDynamicPersonGroupPersons
            | GetOperationResult
            | CreateSession(_)
            | ListSessions(_)
            | GetSession(_)
            | DeleteSession(_)
            | ListSessionAuditEntries(_)
            | GetSessionImage
            | TakeSnapshot
            | ListSnapshots
            | GetSnapshot
            | UpdateSnapshot
            | DeleteSnapshot
            | ApplySnapshot
            | GetSettings
            | UpdateSettings
            | GetClientAssetsAccessToken => NONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::ROWS;
    use super::*;

    #[test]
    fn roles_are_where_the_service_keeps_state() {
        let operations = || ROWS.iter().map(|row| row.operation);
        let facts: Vec<Operation> = operations()
            .filter(|op| op.roles().concerns_facts())
            .collect();
        assert!(facts.contains(&Operation::Detect));
        // Only adds and deletes of faces take a write turn, and no facts.
        for operation in operations().filter(|op| op.roles().write_turn) {
            assert!(matches!(
                operation,
                Operation::AddFace(_) | Operation::DeleteFace(_)
            ));
            assert!(!operation.roles().concerns_facts());
        }
        // Every faceId field a body may carry is somebody's probe or candidate.
        for operation in [
            Operation::Identify,
            Operation::Verify,
            Operation::FindSimilar,
            Operation::Group,
        ] {
            let refers = operation.roles().refers.unwrap();
            assert!(!refers.probes.is_empty() || !refers.candidates.is_empty());
        }
    }
}
