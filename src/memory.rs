//! The process's own memory use, for `plan`'s stage lines: on a base of
//! millions of profiles the user wants to know not only where the minutes
//! go but how close the run came to the machine's memory, and which stage
//! took it there.
//!
//! Read from `/proc/self/status` (Linux); elsewhere there is nothing to
//! read and the stage lines go without.

/// Resident memory now and at its highest so far, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentMemory {
    pub current: u64,
    pub peak: u64,
}

impl ResidentMemory {
    /// This process's figures, or `None` where the system does not offer
    /// them.
    pub fn of_this_process() -> Option<ResidentMemory> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        parse_status(&status)
    }

    /// `resident 1.23 GiB, peak 1.57 GiB`.
    pub fn describe(&self) -> String {
        format!(
            "resident {}, peak {}",
            format_gibibytes(self.current),
            format_gibibytes(self.peak)
        )
    }
}

/// The `VmRSS` and `VmHWM` lines of a `/proc/PID/status` text (kB, as the
/// kernel writes them); `None` when either is missing or unreadable.
pub fn parse_status(status: &str) -> Option<ResidentMemory> {
    let kilobytes = |label: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(label))?;
        line[label.len()..]
            .split_whitespace()
            .next()?
            .parse::<u64>()
            .ok()
    };
    Some(ResidentMemory {
        current: kilobytes("VmRSS:")? * 1024,
        peak: kilobytes("VmHWM:")? * 1024,
    })
}

fn format_gibibytes(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tsailmerge\nVmPeak:\t 9000000 kB\nVmHWM:\t 1646592 kB\nVmRSS:\t 1048576 kB\nThreads:\t3\n";

    #[test]
    fn reads_current_and_peak_resident_memory() {
        let memory = parse_status(STATUS).unwrap();
        assert_eq!(memory.current, 1024 * 1024 * 1024);
        assert_eq!(memory.peak, 1_646_592 * 1024);
        assert_eq!(memory.describe(), "resident 1.00 GiB, peak 1.57 GiB");
    }

    #[test]
    fn missing_or_garbled_lines_give_nothing() {
        assert_eq!(parse_status("Name:\tsailmerge\nVmRSS:\t 10 kB\n"), None);
        assert_eq!(parse_status("VmHWM:\t x kB\nVmRSS:\t 10 kB\n"), None);
    }

    #[test]
    fn this_process_peak_is_at_least_its_current_use() {
        if let Some(memory) = ResidentMemory::of_this_process() {
            assert!(memory.peak >= memory.current);
            assert!(memory.current > 0);
        }
    }
}
