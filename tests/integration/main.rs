mod browser;
mod fixtures;
mod load;
mod report;
