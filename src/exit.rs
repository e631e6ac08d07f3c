//! Process exit status, typed so that every command says which of the three
//! documented outcomes it reached.

/// 0: everything asked for was done. 1: the run finished, but something in
/// it failed (a merge call, a verification). 2: usage, input or unexpected
/// error; nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    Success = 0,
    Failure = 1,
    Error = 2,
}
