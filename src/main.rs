#![recursion_limit = "256"]
//! The Huddle server binary: read the configuration, build the application,
//! serve until Ctrl-C or SIGTERM.

#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    use clap::Parser;
    use huddle::server::{allocator, Config};

    let config = Config::parse();
    // Before the runtime starts its threads (each would take an arena).
    allocator::limit_arenas(config.malloc_arenas);
    allocator::map_large_blocks();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(serve(config)),
        Err(e) => {
            eprintln!("huddle: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "ssr")]
async fn serve(config: huddle::server::Config) -> std::process::ExitCode {
    use huddle::server::{telemetry, Application};

    if let Some(huddle::server::config::Command::Admin(command)) = &config.command {
        return match huddle::server::admin::run(&config, command).await {
            Ok(done) => {
                println!("huddle: {done}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("huddle: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    telemetry::init(&config.log_format);
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("huddle: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!("Huddle is listening on http://{}", app.local_addr());
    match app.metrics_addr() {
        Some(addr) => tracing::info!("metrics at http://{addr}/metrics"),
        None => tracing::info!("no metrics listener (HUDDLE_METRICS_ADDR=off)"),
    }
    match app.run_until(shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("server error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "ssr")]
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser build has no binary: its entry point is `huddle::hydrate`.
}
