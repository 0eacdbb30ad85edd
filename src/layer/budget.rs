//! [`BodyBudget`]: one bound, shared by every request, on the bytes of
//! bodies the layer holds whole while it judges them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget is counted in KiB: a `u32` of permits then covers 4 TiB.
const UNIT: usize = 1024;

/// The bytes of request bodies [`PreflightLayer`](crate::PreflightLayer)
/// may hold at once while it judges them (feature `budget`).
///
/// A body the rules read whole (JSON, a liveness form, an image without
/// `Content-Length`) reserves its declared length, or the largest legal
/// body when it declares none, before its first byte is read, and keeps the
/// reservation until the request is sent or answered. A request that finds
/// no room waits — at most [`wait`](Self::wait) — then fails with
/// [`BodyBudgetExhausted`]; the body is never read unbounded. Reserving the
/// whole amount at once means requests never hold part of the room while
/// waiting for the rest, so they cannot starve each other. Images with a
/// declared `Content-Length` are judged on their first 64 KiB and streamed
/// on, outside the budget.
///
/// ```
/// use std::time::Duration;
/// use face_preflight::{BodyBudget, PreflightLayer};
///
/// let layer = PreflightLayer::new()
///     .body_budget(BodyBudget::new(256 * 1024 * 1024).wait(Duration::from_secs(10)));
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct BodyBudget {
    room: Arc<Semaphore>,
    units: u32,
    wait: Duration,
}

impl BodyBudget {
    /// A budget of `bytes` (at least 64 KiB), with a wait of 10 s.
    pub fn new(bytes: usize) -> Self {
        let units = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .max(64);
        Self {
            room: Arc::new(Semaphore::new(units as usize)),
            units,
            wait: Duration::from_secs(10),
        }
    }

    /// The longest a request waits for room.
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The budget, in bytes.
    pub fn bytes(&self) -> usize {
        self.units as usize * UNIT
    }

    /// The bytes reserved now.
    pub fn reserved(&self) -> usize {
        (self.units as usize).saturating_sub(self.room.available_permits()) * UNIT
    }

    /// Room for `bytes`, now if there is some; a body larger than the whole
    /// budget takes the whole budget.
    pub(crate) fn reserve(&self, bytes: usize) -> Reserving {
        let units = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .clamp(1, self.units);
        match Arc::clone(&self.room).try_acquire_many_owned(units) {
            Ok(permit) => Reserving::Held {
                _reservation: Reservation { _permit: permit },
            },
            Err(_) => {
                let room = Arc::clone(&self.room);
                let wait = self.wait;
                Reserving::Waiting(Box::pin(async move {
                    match tokio::time::timeout(wait, room.acquire_many_owned(units)).await {
                        Ok(Ok(permit)) => Ok(Reservation { _permit: permit }),
                        // The semaphore is never closed; a timeout or a
                        // closed one alike is no room.
                        Ok(Err(_)) | Err(_) => Err(BodyBudgetExhausted { wait }),
                    }
                }))
            }
        }
    }
}

impl fmt::Debug for BodyBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyBudget")
            .field("bytes", &self.bytes())
            .field("reserved", &self.reserved())
            .field("wait", &self.wait)
            .finish()
    }
}

/// Room held in the budget; released when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    _permit: OwnedSemaphorePermit,
}

type Wait = Pin<Box<dyn Future<Output = Result<Reservation, BodyBudgetExhausted>> + Send>>;

/// A reservation made or being made.
pub(crate) enum Reserving {
    Held { _reservation: Reservation },
    Waiting(Wait),
}

impl Reserving {
    /// The room, if it is held (not still awaited).
    pub(crate) fn into_held(self) -> Option<Reservation> {
        match self {
            Reserving::Held { _reservation } => Some(_reservation),
            Reserving::Waiting(_) => None,
        }
    }

    /// Ready once the room is held.
    pub(crate) fn poll_held(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), BodyBudgetExhausted>> {
        if let Reserving::Waiting(wait) = self {
            match wait.as_mut().poll(cx) {
                Poll::Ready(Ok(reservation)) => {
                    *self = Reserving::Held {
                        _reservation: reservation,
                    }
                }
                Poll::Ready(Err(exhausted)) => return Poll::Ready(Err(exhausted)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The error of a request that found no room in the [`BodyBudget`] within
/// its wait. The proxy answers it `503` with `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyBudgetExhausted {
    wait: Duration,
}

impl fmt::Display for BodyBudgetExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no room for the request body in the body budget within {:?}",
            self.wait
        )
    }
}

impl std::error::Error for BodyBudgetExhausted {}
