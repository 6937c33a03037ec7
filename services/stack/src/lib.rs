//! Every GCC service in one process: [`StackBuilder`] starts the set (for `gcc-stack`,
//! the end-to-end tests and the load harness), and [`cli`] is `gcc-stack`'s command line.

mod builder;
pub mod cli;

pub use builder::{Addrs, Service, Stack, StackBuilder};
