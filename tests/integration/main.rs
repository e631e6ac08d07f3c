
mod planner;
