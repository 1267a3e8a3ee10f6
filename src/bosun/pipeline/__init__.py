"""DOT pipelines (the Attractor dialect): parse, validate, run, resume, inspect."""
