//! One request in flight per target: the service adds and deletes the faces
//! of one person (or one face list) one at a time and answers a concurrent
//! one with 409 ConcurrentOperationConflict. Such requests wait their turn
//! here instead; none is refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::router::Matched;

/// Entries kept before the dead ones are swept out.
const SWEEP_AT: usize = 1024;

/// A turnstile per target, alive while someone holds or waits for it.
#[derive(Debug, Default)]
pub(crate) struct Targets {
    turnstiles: Mutex<HashMap<String, Weak<Semaphore>>>,
}

impl Targets {
    /// Waits until no other request of `target` is in flight; the turn
    /// lasts as long as the returned permit.
    pub(crate) async fn turn(&self, target: String) -> Option<OwnedSemaphorePermit> {
        let turnstile = {
            let mut turnstiles = self.turnstiles.lock().ok()?;
            if turnstiles.len() >= SWEEP_AT {
                turnstiles.retain(|_, weak| weak.strong_count() > 0);
            }
            match turnstiles.get(&target).and_then(Weak::upgrade) {
                Some(turnstile) => turnstile,
                None => {
                    let turnstile = Arc::new(Semaphore::new(1));
                    turnstiles.insert(target, Arc::downgrade(&turnstile));
                    turnstile
                }
            }
        };
        turnstile.acquire_owned().await.ok()
    }
}

/// The target whose writes the service serialises: the owner of the faces
/// (a face list, large face list, or a person) of an add-face or
/// delete-face request, with `resource` in front. `None` for everything else.
pub(crate) fn conflict_target(resource: &str, matched: &Matched<'_>) -> Option<String> {
    let route = &matched.route;
    if !route.operation.roles().write_turn {
        return None;
    }
    // The same list or person under any API version, any letter case: a
    // target too wide only serialises more, it never refuses.
    let mut target = format!(
        "{resource} {:?}/{}/{}",
        matched.collection,
        route.collection_id.unwrap_or_default(),
        route.person_id.unwrap_or_default()
    );
    target.make_ascii_lowercase();
    Some(target)
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::router::route_versions;

    fn target(method: Method, path: &str) -> Option<String> {
        conflict_target("https://x", &route_versions(&method, path, true)?)
    }

    #[test]
    fn targets_are_face_owners() {
        let pid = "c5c24a82-6845-4031-9d5d-978df9175426";
        let add = target(
            Method::POST,
            &format!("/face/v1.2/persongroups/g/persons/{pid}/persistedfaces"),
        );
        assert!(add.is_some());
        // Another version and letter case of the same person: one target.
        assert_eq!(
            add,
            target(
                Method::POST,
                &format!(
                    "/face/v1.0/persongroups/g/persons/{}/persistedFaces",
                    pid.to_uppercase()
                ),
            )
        );
        let list = target(
            Method::DELETE,
            &format!("/face/v1.2/facelists/f/persistedfaces/{pid}"),
        );
        assert!(list.is_some());
        assert_ne!(list, add);
        assert_ne!(
            list,
            target(
                Method::DELETE,
                &format!("/face/v1.2/largefacelists/f/persistedfaces/{pid}")
            )
        );
        assert_eq!(target(Method::POST, "/face/v1.2/detect"), None);
        assert_eq!(
            target(Method::GET, "/face/v1.2/largefacelists/f/persistedfaces"),
            None
        );
    }
}
