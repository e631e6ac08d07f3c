mod apply;
mod browser;
mod fixtures;
mod gen_eval;
mod load;
mod planner;
mod report;
mod sandbox;
