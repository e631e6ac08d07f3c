
mod apply;
mod sandbox;
