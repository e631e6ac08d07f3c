mod apply;
mod fixtures;
mod load;
mod matching;
mod sandbox;
