//! The relationships server binary.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use gcc_platform::runtime::{bind, exit_code, shutdown_signal};
use gcc_platform::telemetry;
use gcc_platform::time::SystemClock;
use relationships::{Config, DEFAULT_PORT, SERVICE};

gcc_platform::server_allocator!();

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    exit_code(
        async {
            let _telemetry = telemetry::init(SERVICE, config.server.log_format, None)?;
            let verifier = config.server.auth.verifier().await?;
            let listener = bind(config.server.listen, DEFAULT_PORT).await?;
            let app = relationships::build(&config, listener, Arc::new(SystemClock), verifier).await?;
            tracing::info!(addr = %app.local_addr(), "{SERVICE} serving");
            app.run_until(shutdown_signal()).await
        }
        .await,
    )
}
