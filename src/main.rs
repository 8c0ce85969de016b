use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    rolodex::cli::main().await
}
