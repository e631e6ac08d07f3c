//! Load: customer exports into one polars frame with typed canonical
//! columns.

use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::DataFrame;

use crate::plan::InputFile;
use crate::printer::Printer;
use crate::profile::Profile;
use crate::settings::load::LoadSettings;

pub struct LoadedExport {
    pub frame: DataFrame,
    pub inputs: Vec<InputFile>,
}

pub fn load_exports(
    _paths: &[PathBuf],
    _settings: &LoadSettings,
    _printer: &Printer,
) -> Result<LoadedExport> {
    todo!("load helper")
}

pub fn profiles_from_frame(_frame: &DataFrame) -> Result<Vec<Profile>> {
    todo!("load helper")
}
