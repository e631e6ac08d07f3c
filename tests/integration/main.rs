mod fixtures;
mod load;
mod matching;
