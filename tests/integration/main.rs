mod apply;
mod browser;
mod fixtures;
mod load;
mod report;
mod sandbox;
