use std::process::ExitCode;

use clap::Parser;

/// Tens of millions of short strings (a million profiles and their
/// normalised keys) take about a third less memory, and allocate faster,
/// in mimalloc's size classes than in glibc's 32-byte minimum chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = sailmerge::cli::Cli::parse();
    ExitCode::from(sailmerge::run(cli) as u8)
}

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h` of v3, the version
/// libmimalloc-sys builds by default; its Rust constants follow v2's enum).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Every stage of `plan` frees what the previous one built and allocates
/// as much again: by default mimalloc hands freed pages back to the kernel
/// a second later, and the next stage faults them in, zeroed, again (the
/// kernel's page clearing was 8% of the CPU time at 1.17M profiles). A run
/// of the tool ends when its work does, so the pages are kept.
#[allow(unsafe_code)] // an FFI call into the allocator, sound as said below
fn keep_freed_memory() {
    // SAFETY: sets one option of the allocator, which mimalloc allows at
    // any time; this runs before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)] // reads the option back through the same FFI
    fn the_purge_delay_option_is_the_one_set() {
        // v3's default purge delay is 1000 ms: a libmimalloc-sys that
        // builds another version, or renumbers the options, fails here.
        // SAFETY: reads one option of the allocator.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 1000);
        keep_freed_memory();
        // SAFETY: as above.
        let set = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(set, -1);
    }
}
