//! Merge: Sailplay's users/merge and users/update simulated exactly, and
//! the planner that picks survivor and call order.

use crate::cluster::Cluster;
use crate::plan::{Assumption, PlannedCluster};
use crate::printer::Printer;
use crate::profile::Profile;
use crate::settings::planner::PlannerSettings;

pub fn plan_clusters(
    _profiles: &[Profile],
    _clusters: &[Cluster],
    _settings: &PlannerSettings,
    _printer: &Printer,
) -> Vec<PlannedCluster> {
    todo!("planner helper")
}

pub fn assumptions(_settings: &PlannerSettings) -> Vec<Assumption> {
    todo!("planner helper")
}
