mod fixtures;
mod load;
