//! Shared nothing: the programs are the `[[example]]` targets beside this file.
