mod apply;
mod fixtures;
mod load;
mod sandbox;
