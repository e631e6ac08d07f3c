mod apply;
mod browser;
mod fixtures;
mod gen_eval;
mod load;
mod matching;
mod report;
mod sandbox;
