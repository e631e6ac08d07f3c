//! gen (being built)
