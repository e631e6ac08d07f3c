//! Parsers of binary formats that sailmerge does not own (polars' Parquet
//! reader, calamine's workbook readers) can panic on malformed bytes: an
//! `unreachable!`, an index out of bounds in a corrupt footer. A panic there
//! is a bad input, not a bug of the run, so it must end as a load error
//! naming the file (exit 2, nothing written), never as exit 101.
//!
//! [`catch_panic`] runs such a parser under `catch_unwind`. While any
//! guarded call is running, the process's panic hook records the panic's
//! message and location instead of printing the usual "thread panicked"
//! report, which would be noise beside the load error that says the same.
//! Panics anywhere else still reach the previous hook unchanged.

use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

/// Guarded calls running now, on any thread.
static GUARDED: AtomicUsize = AtomicUsize::new(0);
/// What the hook saw of the last panic inside a guarded call.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
static INSTALL_HOOK: Once = Once::new();

/// Runs `parse`; a panic inside it (or inside the threads it waits for)
/// becomes `Err` with the panic's message and, where known, its location.
pub fn catch_panic<T>(parse: impl FnOnce() -> T) -> Result<T, String> {
    INSTALL_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.load(Ordering::SeqCst) > 0 {
                *LAST_PANIC
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(describe(info));
            } else {
                previous(info);
            }
        }));
    });
    GUARDED.fetch_add(1, Ordering::SeqCst);
    // The parser's state is dropped with the error: nothing observes it
    // half-updated after the unwind.
    let outcome = panic::catch_unwind(AssertUnwindSafe(parse));
    GUARDED.fetch_sub(1, Ordering::SeqCst);
    outcome.map_err(|payload| {
        let recorded = LAST_PANIC
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        recorded.unwrap_or_else(|| payload_text(payload.as_ref()).to_string())
    })
}

fn describe(info: &PanicHookInfo<'_>) -> String {
    let message = payload_text(info.payload());
    match info.location() {
        Some(location) => format!(
            "{message} (at {}:{})",
            short_path(location.file()),
            location.line()
        ),
        None => message.to_string(),
    }
}

/// `polars-io-0.55.2/src/...` rather than the registry's absolute path,
/// which names the build machine's home directory.
fn short_path(file: &str) -> &str {
    file.rsplit_once("/registry/src/")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or(file, |(_, crate_path)| crate_path)
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_location() {
        let message = catch_panic(|| -> u8 { panic!("corrupt footer") }).unwrap_err();
        assert!(message.starts_with("corrupt footer (at "), "{message}");
        assert!(message.contains("guard.rs:"), "{message}");
    }

    #[test]
    fn a_panic_in_a_worker_thread_is_caught_too() {
        let message = catch_panic(|| {
            rayon::join(|| 1, || -> i32 { panic!("worker {}", 7) });
        })
        .unwrap_err();
        assert!(message.starts_with("worker 7"), "{message}");
    }

    #[test]
    fn a_result_passes_through() {
        assert_eq!(catch_panic(|| 41 + 1), Ok(42));
    }

    #[test]
    fn registry_paths_lose_the_home_directory() {
        assert_eq!(
            short_path(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/polars-io-0.55.2/src/a.rs"
            ),
            "polars-io-0.55.2/src/a.rs"
        );
        assert_eq!(short_path("src/load/guard.rs"), "src/load/guard.rs");
    }
}
