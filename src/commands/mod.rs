//! One file per subcommand, each with its clap `Args` (whose doc comment is
//! the contract and ends with examples) and `run(args, printer)`.

pub mod apply;
pub mod approve;
pub mod completions;
pub mod eval;
pub mod generate;
pub mod man;
pub mod plan;
pub mod review;
pub mod sandbox;
