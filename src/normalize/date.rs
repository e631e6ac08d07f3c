//! Dates as evidence: placeholders such as 1900-01-01 are not.
