use clap::Parser;
use gateway::cli::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match gateway::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("picgate: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
