//! `gccctl`, the command line for the GCC service set: its commands, built on the typed
//! clients of `gcc-client`, and how their answers are printed.

pub mod cli;
pub mod output;
