//! `gcc-stack`: the whole service set in one process for development and demos.

use std::process::ExitCode;

use clap::Parser;
use gcc_platform::runtime::exit_code;
use gcc_stack::cli;

gcc_platform::server_allocator!();

#[tokio::main]
async fn main() -> ExitCode {
    let config = cli::StackConfig::parse();
    exit_code(cli::run(config).await)
}
