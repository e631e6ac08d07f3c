//! Report: the plan as one self-contained HTML file for the reviewer.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::plan::MergePlan;

pub fn write_report(_dir: &Path, _plan: &MergePlan) -> Result<PathBuf> {
    todo!("report helper")
}
