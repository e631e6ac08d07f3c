//! eval (being built)
