
mod gen_eval;
