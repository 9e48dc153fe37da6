//! Benchmarks live in the `[[bench]]` targets beside this file; `README.md` records their figures.
