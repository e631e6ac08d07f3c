mod apply;
mod sandbox;
