//! Prefetch hints for the loops that compare records in random order.
//!
//! Scoring reads two records per pair: the candidates' right-hand records,
//! and both records of the u sample's random pairs, are scattered over
//! gigabytes, so nearly every read waits on main memory; waiting is most of
//! the comparison's cost. A loop that knows its next pairs asks the CPU to
//! fetch them in two steps: the record itself some pairs ahead, then the
//! values it points to (phone digits, mailbox, names) a few pairs later,
//! when reading the record's pointers no longer waits. Hints only: they
//! change no result, and a record layout they do not know is merely
//! fetched later.

use crate::normalize::NormalizedRecord;

/// Pairs ahead at which a loop prefetches a record's own fields.
const RECORD_DISTANCE: usize = 16;
/// Pairs ahead at which it prefetches the values the record points to.
const VALUES_DISTANCE: usize = 8;

/// For a loop at pair `index` of pairs of rows (`pair_at(i)` is pair `i`,
/// `None` past the end): hints the records `RECORD_DISTANCE` pairs ahead
/// and the values of those `VALUES_DISTANCE` ahead.
#[inline]
pub fn ahead(
    records: &[NormalizedRecord],
    index: usize,
    pair_at: impl Fn(usize) -> Option<(u32, u32)>,
) {
    if let Some((left, right)) = pair_at(index + RECORD_DISTANCE) {
        for row in [left, right] {
            if let Some(found) = records.get(row as usize) {
                record(found);
            }
        }
    }
    if let Some((left, right)) = pair_at(index + VALUES_DISTANCE) {
        for row in [left, right] {
            if let Some(found) = records.get(row as usize) {
                values(found);
            }
        }
    }
}

/// Hints the cache lines of `record` itself.
#[inline]
fn record(record: &NormalizedRecord) {
    let start = record as *const NormalizedRecord as *const u8;
    let size = std::mem::size_of::<NormalizedRecord>();
    let mut offset = 0;
    while offset < size {
        line(start.wrapping_add(offset));
        offset += 64;
    }
}

/// Hints the heap values that comparing `record` reads (blocking reads
/// the same ones).
#[inline]
pub(crate) fn values(record: &NormalizedRecord) {
    if let Some(phone) = &record.phone {
        line(phone.digits.as_ptr());
    }
    if let Some(email) = &record.email {
        line(email.address.as_ptr());
        line(email.mailbox_key.as_ptr());
    }
    let name = &record.name;
    for text in [&name.first, &name.middle, &name.last, &name.last_key]
        .into_iter()
        .flatten()
    {
        line(text.as_ptr());
    }
    if let Some(full) = name.first_full.first() {
        line(name.first_full.as_ptr() as *const u8);
        line(full.as_ptr());
    }
}

/// Hints one cache line.
#[inline]
#[allow(unsafe_code)] // the crate's one unsafe block, sound as said below
fn line(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults, whatever the address,
    // and has no effect a program can observe but timing.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(address as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
