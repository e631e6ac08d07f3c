mod fixtures;
mod load;
mod planner;
