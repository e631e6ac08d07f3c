mod gen_eval;
