//! The Santhium server.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    santhium::server::cli::main().await
}
