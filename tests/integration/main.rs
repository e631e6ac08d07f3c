mod apply;
mod fixtures;
mod load;
mod planner;
mod sandbox;
