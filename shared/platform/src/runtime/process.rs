//! What a server binary does around its servers: listen, stop on a signal, exit.

use std::net::SocketAddr;

use tokio::net::TcpListener;

/// Completes on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}

/// Binds `addr`, or 127.0.0.1 on the service's default port.
pub async fn bind(addr: Option<SocketAddr>, default_port: u16) -> anyhow::Result<TcpListener> {
    let addr = addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], default_port)));
    TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// Prints a failure with its causes and turns it into a non-zero exit.
pub fn exit_code(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
