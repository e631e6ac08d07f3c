//! sandbox (being built)
