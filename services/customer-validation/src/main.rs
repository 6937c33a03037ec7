//! The customer-validation server binary.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use customer_validation::{Config, DEFAULT_PORT, SERVICE};
use gcc_platform::runtime::{bind, exit_code, shutdown_signal};
use gcc_platform::telemetry;
use gcc_platform::time::SystemClock;

gcc_platform::server_allocator!();

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    exit_code(
        async {
            let _telemetry = telemetry::init(SERVICE, config.server.log_format, None)?;
            let verifier = config.server.auth.verifier().await?;
            let listener = bind(config.server.listen, DEFAULT_PORT).await?;
            let app = customer_validation::build(&config, listener, Arc::new(SystemClock), verifier).await?;
            tracing::info!(addr = %app.local_addr(), "{SERVICE} serving");
            app.run_until(shutdown_signal()).await
        }
        .await,
    )
}
