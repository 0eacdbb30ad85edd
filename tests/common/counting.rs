//! A counting global allocator: the test binary that includes this module
//! measures its peak heap. Only binaries that run one measurement at a time
//! include it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY-free: delegates to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::SeqCst) + new_size
                - layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated now.
#[allow(dead_code)]
pub fn current() -> usize {
    CURRENT.load(Ordering::SeqCst)
}

/// Starts a measurement: the peak from now on, above what is allocated now.
pub fn start() -> usize {
    let start = CURRENT.load(Ordering::SeqCst);
    PEAK.store(start, Ordering::SeqCst);
    start
}

/// The peak since [`start`] returned `start`, above it.
pub fn peak_since(start: usize) -> usize {
    PEAK.load(Ordering::SeqCst).saturating_sub(start)
}

/// Bytes allocated at the peak of `f`, above what was allocated before it.
#[allow(dead_code)]
pub fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = start();
    let result = f();
    (result, peak_since(start))
}
