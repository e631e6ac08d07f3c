//! review (being built)
