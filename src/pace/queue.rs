//! One request in flight per target: the service adds and deletes the faces
//! of one person (or one face list) one at a time and answers a concurrent
//! one with 409 ConcurrentOperationConflict. Such requests wait their turn
//! here instead; none is refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use http::Method;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::router::{self, Operation};

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
pub(crate) fn conflict_target(resource: &str, method: &Method, path: &str) -> Option<String> {
    // Paths behind a gateway prefix: route from the `/face/` segment.
    let start = path
        .as_bytes()
        .windows(6)
        .position(|w| w.eq_ignore_ascii_case(b"/face/"))?;
    let face_path = path.get(start..)?;
    let route = router::route_versions(method, face_path, true)?.route;
    if !matches!(
        route.operation,
        Operation::AddFace(_) | Operation::DeleteFace(_)
    ) {
        return None;
    }
    let lower = face_path.to_ascii_lowercase();
    let owner = lower.find("/persistedfaces")?;
    Some(format!("{resource}{}", face_path.get(..owner)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_face_owners() {
        let r = "https://x";
        let pid = "c5c24a82-6845-4031-9d5d-978df9175426";
        assert_eq!(
            conflict_target(
                r,
                &Method::POST,
                &format!("/face/v1.2/persongroups/g/persons/{pid}/persistedfaces")
            ),
            Some(format!("https://x/face/v1.2/persongroups/g/persons/{pid}"))
        );
        assert_eq!(
            conflict_target(
                r,
                &Method::DELETE,
                &format!("/gw/face/v1.2/facelists/f/persistedfaces/{pid}")
            ),
            Some("https://x/face/v1.2/facelists/f".to_owned())
        );
        assert_eq!(conflict_target(r, &Method::POST, "/face/v1.2/detect"), None);
        assert_eq!(
            conflict_target(
                r,
                &Method::GET,
                "/face/v1.2/largefacelists/f/persistedfaces"
            ),
            None
        );
    }
}
