mod apply;
mod febrl;
mod fixtures;
mod gen_eval;
mod load;
mod matching;
mod planner;
mod sandbox;
