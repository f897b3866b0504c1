use std::process::ExitCode;

use clap::Parser;
use stockroom::cli::{AdminCommand, Cli, Command};
use stockroom::config::{self, Config, Overrides};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Lines are buffered and flushed in batches (see `logging`); the guard flushes at exit.
    let (writer, _flush_at_exit) = stockroom::logging::BufferedStderr::start();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // Rocket reports every failed guard and catcher at warn; our own errors say more.
                .unwrap_or_else(|_| {
                    "info,rocket=warn,rocket::server::_=error,stockroom::api=error,sqlx=warn".into()
                }),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(writer)
        .init();

    let overrides = Overrides { database: cli.db.clone(), address: cli.address, port: cli.port };
    let figment = config::figment(&overrides);
    let result = match cli.command {
        None | Some(Command::Serve) => serve(figment, cli.demo),
        Some(command) => Config::from_figment(&figment)
            .map_err(|e| e.to_string())
            .and_then(|config| rocket::execute(run(command, config))),
    };
    match result {
        Ok(message) => {
            if !message.is_empty() {
                println!("{message}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("stockroom: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(figment: rocket::figment::Figment, demo: bool) -> Result<String, String> {
    let rocket = stockroom::build(figment).map_err(|e| e.to_string())?;
    let config = rocket.state::<stockroom::App>().expect("managed by build()").config.clone();
    // Open (and migrate) once before launching, so that a refused database file is reported
    // in one plain sentence with a non-zero exit, whatever the log level.
    rocket::execute(async {
        let pools = stockroom::db::Pools::open(&config.database, config.db_max_connections)
            .await
            .map_err(|e| e.to_string())?;
        pools.close().await;
        Ok::<_, String>(())
    })?;
    if demo {
        println!("{}", rocket::execute(stockroom::demo::seed(&config))?);
    }
    rocket::execute(rocket.launch()).map(|_| String::new()).map_err(|e| format!("could not start: {e}"))
}

async fn run(command: Command, config: Config) -> Result<String, String> {
    match command {
        Command::Serve => unreachable!("handled by serve()"),
        Command::Admin(AdminCommand::Create { email, username, name, password }) => {
            let password = password.read()?;
            stockroom::cli::admin_create(config, &email, username.as_deref(), name.as_deref(), &password)
                .await
        }
        Command::Admin(AdminCommand::SetPassword { who, password }) => {
            let password = password.read()?;
            stockroom::cli::admin_set_password(config, &who, &password).await
        }
        Command::Backup { out } => stockroom::cli::backup(config, &out).await,
        Command::Restore { backup } => stockroom::cli::restore(config, &backup).await,
        Command::MigrateTo { url } => stockroom::cli::migrate_to(config, &url).await,
    }
}
