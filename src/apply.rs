//! apply (being built)
