//! The command line: `serve` (the default), `admin create`, `admin set-password`, `backup`,
//! `restore`, `migrate-to`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::db::audit::{self, Event};
use crate::db::{display_url, sessions, users, Pool, Pools, Target};
use crate::domain::audit::{Action, Details, TargetType};
use crate::domain::{DisplayName, Email, Fields, Role, Username};
use crate::error::ApiError;
use crate::App;

#[derive(Debug, Parser)]
#[command(name = "stockroom", version, about = "Accounts, a store and a markets desk on one SQLite file.")]
pub struct Cli {
    /// Database file (default `stockroom.db`, created if missing).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1).
    #[arg(long, value_name = "ADDR")]
    pub address: Option<IpAddr>,
    /// Port to listen on (default 8000; 0 picks a free one, shown in the log).
    #[arg(long)]
    pub port: Option<u16>,
    /// Fill an empty database with sample data and print how to sign in.
    #[arg(long)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the web app (the default).
    Serve,
    /// Manage administrators.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Write a consistent copy of the database to OUT (safe while the server runs).
    Backup {
        #[arg(value_name = "OUT.db")]
        out: PathBuf,
    },
    /// Put a backup in place of the database (the server must be stopped). The replaced file is
    /// kept as `FILE.before-restore`.
    Restore {
        #[arg(value_name = "BACKUP.db")]
        backup: PathBuf,
    },
    /// Copy this SQLite database into an empty PostgreSQL database: every row, the same ids and
    /// the JWT secret, so signed-in users stay signed in. Prints `TABLE ROWS` per table.
    MigrateTo {
        #[arg(value_name = "postgres://…")]
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Set a user's password (and sign them out everywhere).
    SetPassword {
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        password: PasswordSource,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Who {
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub username: Option<String>,
}

#[derive(Debug, Args)]
pub struct PasswordSource {
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

impl PasswordSource {
    pub fn read(&self) -> Result<String, String> {
        if self.password_stdin {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| format!("reading stdin: {e}"))?;
            return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
        }
        let first = rpassword::prompt_password("Password: ")
            .map_err(|e| format!("cannot prompt for a password ({e}); use --password-stdin"))?;
        let again = rpassword::prompt_password("Repeat password: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords do not match".into());
        }
        Ok(first)
    }
}

fn describe(e: ApiError) -> String {
    match e {
        ApiError::Validation(fields) => {
            fields.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

async fn open(config: &Config) -> Result<Pools, String> {
    Pools::open(&config.database, 2).await.map_err(|e| e.to_string())
}

pub async fn admin_create(
    config: Config,
    email: &str,
    username: Option<&str>,
    name: Option<&str>,
    password: &str,
) -> Result<String, String> {
    let app = App::new(config);
    let mut f = Fields::default();
    let email = f.check("email", Email::parse(email));
    let username = username.and_then(|u| f.check("username", Username::parse(u)));
    let name = name.and_then(|n| f.check("name", DisplayName::parse(n)));
    if let Err(problem) = app.password_policy().check(password, &[]) {
        f.add("password", problem);
    }
    f.finish().map_err(describe)?;
    let email = email.expect("checked");
    let name = name.unwrap_or_else(|| match &username {
        Some(u) => DisplayName::from_username(u),
        None => DisplayName::from_email(&email),
    });
    let pools = open(&app.config).await?;
    let hash = app.hasher.hash(password).await.map_err(describe)?;
    let mut tx = pools.write.begin().await.map_err(|e| e.to_string())?;
    let user = users::insert(
        &mut tx,
        &users::NewUser {
            email: &email,
            username: username.as_ref(),
            name: &name,
            password_hash: &hash,
            role: Role::Admin,
            // Whoever has the shell vouches for the address.
            email_verified: true,
        },
    )
    .await
    .map_err(|e| describe(e.into()))?;
    let details = Details::new().with("via", "cli").with("role", user.role);
    audit::record(&mut tx, Event::new(Action::UserCreated).on(TargetType::User, user.id).details(details))
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    pools.close().await;
    Ok(format!("Created admin {} (id {}).", user.email, user.id))
}

pub async fn admin_set_password(config: Config, who: &Who, password: &str) -> Result<String, String> {
    let app = App::new(config);
    app.password_policy().check(password, &[]).map_err(|p| format!("password {p}"))?;
    let pools = open(&app.config).await?;
    let login = who.email.as_deref().or(who.username.as_deref()).unwrap_or_default();
    let user = users::by_login(&pools.read, login)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user {login}"))?;
    let hash = app.hasher.hash(password).await.map_err(describe)?;
    let mut tx = pools.write.begin().await.map_err(|e| e.to_string())?;
    users::set_password(&mut tx, user.id, &hash).await.map_err(|e| e.to_string())?;
    sessions::revoke_all(&mut tx, user.id, None).await.map_err(|e| e.to_string())?;
    crate::db::mail::void_tokens(&mut tx, user.id, Some(crate::db::mail::Purpose::PasswordReset))
        .await
        .map_err(|e| e.to_string())?;
    // Delivered by the server's worker, as every mail.
    app.mailer.password_changed(&mut tx, &user).await.map_err(|e| e.to_string())?;
    let event = Event::new(Action::PasswordChanged).on(TargetType::User, user.id);
    audit::record(&mut tx, event.details(Details::new().with("via", "cli")))
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(format!("Password set for {}; their sessions were revoked and a notice was queued.", user.email))
}

/// Copies the SQLite database into an empty Postgres one (see `db::copy`) and reports each
/// table's rows, verified on the target.
pub async fn migrate_to(config: Config, url: &str) -> Result<String, String> {
    let copied = crate::db::copy::migrate_to(&config.database, url).await?;
    let width = copied.iter().map(|c| c.table.len()).max().unwrap_or(0);
    let mut lines: Vec<String> = copied.iter().map(|c| format!("{:width$} {}", c.table, c.rows)).collect();
    lines.push(format!(
        "Copied {} into {}; every count verified. Start Stockroom with --db pointing there.",
        crate::db::display(&config.database),
        display_url(url)
    ));
    Ok(lines.join("\n"))
}

/// `VACUUM INTO`: a consistent, compact copy, taken while the server may be writing. Postgres
/// has its own tools for that.
pub async fn backup(config: Config, out: &Path) -> Result<String, String> {
    if let Target::Postgres(url) = Target::of(&config.database) {
        return Err(format!(
            "backup copies a SQLite file; {} is a PostgreSQL database: use pg_dump (for example \
             `pg_dump --format=custom --file=stockroom.dump '{}'`) or your provider's snapshots",
            display_url(&url),
            display_url(&url)
        ));
    }
    if !config.database.exists() {
        return Err(format!("no database at {}", crate::db::display_path(&config.database)));
    }
    if out.exists() {
        return Err(format!("{} already exists; choose a new file", out.display()));
    }
    let pools = open(&config).await?;
    let Pool::Sqlite(read) = &pools.read else { unreachable!("a SQLite target") };
    crate::db::backup::copy_into(read, out).await.map_err(|e| format!("backup failed: {e}"))?;
    pools.close().await;
    crate::db::backup::check_sound(out).await?;
    Ok(format!("Backed up {} to {}.", crate::db::display_path(&config.database), out.display()))
}

/// Puts a backup in place of the database file (see `db::backup::restore`).
pub async fn restore(config: Config, backup: &Path) -> Result<String, String> {
    let Target::Sqlite(file) = Target::of(&config.database) else {
        return Err(format!(
            "restore replaces a SQLite file; {} is a PostgreSQL database: use pg_restore",
            display_url(&config.database.to_string_lossy())
        ));
    };
    crate::db::backup::restore(&file, backup).await
}
