//! The `rolodex` command line: `serve`, `migrate`, `tokens`, `copy`, `backup`, `completions`,
//! `cert`, `seed`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::domain::admin::{AdminKey, SeedRequest, Slug, is_issued_token_form};
use crate::error::AppError;
use crate::http::journal::MAX_JOURNAL;
use crate::http::{self, limits, server::ServerConfig, tls::TlsConfig};
use crate::secrets::{DatabaseUrl, Secret};
use crate::service::admin::{self as admin_use_cases, BootstrapError};
use crate::service::tokens;
use crate::store::postgres::Pooler;
use crate::store::{Database, DbOptions};

#[derive(Parser, Debug)]
#[command(
    name = "rolodex",
    version,
    about = "A self-hosted server for the Luminous Contacts & Companies API"
)]
pub struct Cli {
    // Global: `rolodex --database URL serve` and `rolodex serve --database URL` alike.
    #[command(flatten)]
    db: DatabaseArgs,
    /// Log lines on stderr: `text` (colours only on a terminal) or `json` (one object a line)
    #[arg(
        long,
        global = true,
        env = "ROLODEX_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// `--log-format`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr, filtered by `ROLODEX_LOG` (default `info`), in `format`.
///
/// Lines are written by a background thread: a request formats its line into a queue instead of
/// making a `write(2)` on stderr itself, which cost about a third of GET-by-id throughput. The
/// queue blocks when full rather than dropping lines. The returned guard flushes it when dropped.
fn init_logging(format: LogFormat) -> crate::log_writer::LogGuard {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROLODEX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = crate::log_writer::batched_stderr();
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter);
    match format {
        // Colour codes only for a person at a terminal, never into a file or a pipe.
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        // The current span's fields (the request id) on every line, flattened beside the event's.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    guard
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST/DB, with
    /// ?sslmode=disable|prefer|require|verify-ca|verify-full and &sslrootcert=PATH for TLS
    // `hide_env_values`: the variable may hold a password, which `--help` would print.
    #[arg(
        long,
        global = true,
        env = "ROLODEX_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://rolodex.db"
    )]
    database: DatabaseUrl,
    /// Most database connections (PostgreSQL) or concurrent readers (SQLite)
    #[arg(long, global = true, env = "ROLODEX_POOL_SIZE", default_value_t = 16)]
    pool_size: u32,
    /// Time budget, in milliseconds, of a PostgreSQL statement or a SQLite read (0: none)
    #[arg(
        long,
        global = true,
        env = "ROLODEX_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000
    )]
    statement_timeout_ms: u64,
    /// What sits between Rolodex and PostgreSQL: `transaction` (safe everywhere, including
    /// behind PgBouncer in transaction mode) or `none` (direct connections, or a pooler in session
    /// mode: statements are prepared once per connection, and single-statement reads run without
    /// BEGIN/COMMIT)
    #[arg(
        long,
        global = true,
        env = "ROLODEX_POSTGRES_POOLER",
        value_enum,
        default_value_t = PoolerArg::Transaction
    )]
    postgres_pooler: PoolerArg,
    /// SQLite: milliseconds a connection waits without a job before it releases its page cache
    /// (0: never). Hidden: the default suits production; tests and the benchmark's smoke shorten
    /// it.
    #[arg(
        long,
        global = true,
        hide = true,
        env = "ROLODEX_SQLITE_IDLE_RELEASE_MS",
        default_value_t = crate::store::idle::IDLE_RELEASE_AFTER.as_millis() as u64
    )]
    sqlite_idle_release_ms: u64,
}

/// `--postgres-pooler` (see [`crate::store::postgres::Pooler`]).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolerArg {
    Transaction,
    None,
}

impl DatabaseArgs {
    fn options(&self) -> DbOptions {
        DbOptions {
            pool_size: self.pool_size,
            statement_timeout_ms: self.statement_timeout_ms,
            clock: crate::clock::Clock::System,
            pooler: match self.postgres_pooler {
                PoolerArg::Transaction => Pooler::Transaction,
                PoolerArg::None => Pooler::None,
            },
            idle_release: Some(std::time::Duration::from_millis(
                self.sqlite_idle_release_ms,
            )),
        }
    }

    async fn open(&self) -> anyhow::Result<Database> {
        Database::open(self.database.expose(), &self.options())
            .await
            .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", self.database))
    }
}

/// The HTTP limits of `serve` (see the Limits table in README.md).
#[derive(Args, Debug, Clone)]
pub struct ServeLimits {
    /// Seconds a client has to send a complete request head (from its first byte); then the
    /// connection is closed
    #[arg(long, env = "ROLODEX_HEADER_TIMEOUT_SECS", default_value_t = limits::DEFAULT_HEADER_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a client has to send the whole request body (408 after)
    #[arg(long, env = "ROLODEX_BODY_TIMEOUT_SECS", default_value_t = limits::DEFAULT_BODY_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
    /// Seconds a keep-alive connection may stay idle (no request in flight) before it is closed
    #[arg(long, env = "ROLODEX_IDLE_TIMEOUT_SECS", default_value_t = limits::DEFAULT_IDLE_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_secs: u64,
    /// Seconds a request may take once its body is in (503 after)
    #[arg(long, env = "ROLODEX_REQUEST_TIMEOUT_SECS", default_value_t = limits::DEFAULT_REQUEST_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout_secs: u64,
    /// Most open connections; at the cap, new ones wait to be accepted until one closes
    #[arg(long, env = "ROLODEX_MAX_CONNECTIONS", default_value_t = limits::DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_connections: usize,
    /// Seconds in-flight requests get to finish on SIGINT/SIGTERM before the server exits anyway
    #[arg(long, env = "ROLODEX_SHUTDOWN_TIMEOUT_SECS", default_value_t = limits::DEFAULT_SHUTDOWN_TIMEOUT_SECS)]
    shutdown_timeout_secs: u64,
    /// Requests per minute per API token (429 above); 0 turns the limit off
    #[arg(long, env = "ROLODEX_RATE_LIMIT", default_value_t = 0)]
    rate_limit: u32,
    /// SQLite: milliseconds between looks for contacts written since the search index was last
    /// brought up to date; 0: never (searches stay exact, only slower)
    #[arg(long, env = "ROLODEX_SEARCH_INDEX_INTERVAL_MS", default_value_t = DEFAULT_SEARCH_INDEX_INTERVAL_MS)]
    search_index_interval_ms: u64,
}

/// `--search-index-interval-ms`'s default.
const DEFAULT_SEARCH_INDEX_INTERVAL_MS: u64 =
    crate::service::contacts::INDEX_INTERVAL.as_millis() as u64;

impl ServeLimits {
    /// The flags as the options [`http::serve`] takes.
    fn options(&self, body_limit: usize) -> http::ServeOptions {
        let secs = Duration::from_secs;
        http::ServeOptions {
            body_limit,
            timeouts: limits::RequestTimeouts {
                body: secs(self.body_timeout_secs),
                handler: secs(self.request_timeout_secs),
            },
            server: ServerConfig {
                header_timeout: secs(self.header_timeout_secs),
                idle_timeout: secs(self.idle_timeout_secs),
                max_connections: self.max_connections,
                shutdown_timeout: secs(self.shutdown_timeout_secs),
            },
            rate_limit: self.rate_limit,
            tls: None,
            admin: None,
            journal: 0,
            cors_origins: Vec::new(),
            search_index_interval: (self.search_index_interval_ms > 0)
                .then(|| Duration::from_millis(self.search_index_interval_ms)),
        }
    }
}

/// HTTPS for `serve`: both files or neither.
#[derive(Args, Debug, Clone)]
pub struct TlsArgs {
    /// Serve HTTPS with this certificate (PEM: the server's certificate, then any intermediates)
    #[arg(
        long,
        env = "ROLODEX_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1)
    #[arg(
        long,
        env = "ROLODEX_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The certificate and key, read and checked; `None` for plain HTTP.
    fn load(&self) -> anyhow::Result<Option<TlsConfig>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(TlsConfig::load(cert, key)?)),
            // clap's `requires` refuses one without the other.
            _ => Ok(None),
        }
    }
}

/// Cross-origin requests for `serve` (see `http::cors`).
#[derive(Args, Debug, Clone)]
pub struct CorsArgs {
    /// A browser origin allowed to call the API from its pages (CORS), e.g.
    /// https://app.example.com; repeatable, or comma-separated in the environment; `*` for any.
    /// Off when unset
    #[arg(
        long = "cors-origin",
        env = "ROLODEX_CORS_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    cors_origins: Vec<http::cors::CorsOrigin>,
}

/// The sandbox's flags of `serve`: the admin API, the journal and the bootstrap token.
#[derive(Args, Debug, Clone)]
pub struct SandboxArgs {
    /// Turns on the admin API under /admin/v1, for `Authorization: Bearer <this token>` (16 to
    /// 200 visible ASCII characters); without it, /admin/v1 answers 404
    // `hide_env_values`: `--help` would print the secret.
    #[arg(long, env = "ROLODEX_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<Secret>,
    /// API exchanges kept in memory per tenant, for GET /admin/v1/tenants/{slug}/requests
    /// (0: no journal)
    #[arg(long, env = "ROLODEX_JOURNAL", default_value_t = 0,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=MAX_JOURNAL as u64))]
    journal: usize,
    /// At start, make sure this token (rdx_ followed by 40 letters or digits) is a valid token of
    /// --bootstrap-tenant (created if needed); never printed
    #[arg(long, env = "ROLODEX_BOOTSTRAP_TOKEN", hide_env_values = true)]
    bootstrap_token: Option<Secret>,
    /// The tenant of --bootstrap-token, created if it does not exist
    #[arg(long, env = "ROLODEX_BOOTSTRAP_TENANT", default_value = "demo")]
    bootstrap_tenant: String,
}

impl SandboxArgs {
    /// The admin API's key; an error (that does not repeat the token) for a token too short or
    /// too long.
    fn admin_key(&self) -> Result<Option<AdminKey>, String> {
        match &self.admin_token {
            None => Ok(None),
            Some(token) => AdminKey::of(token.expose()).map(Some).ok_or_else(|| {
                "--admin-token (ROLODEX_ADMIN_TOKEN) must be 16 to 200 visible ASCII characters"
                    .to_owned()
            }),
        }
    }
}

#[derive(Subcommand, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value, parsed once at start: `serve` simply has the most flags"
)]
enum Command {
    /// Run the API server
    Serve {
        /// Address to listen on (port 0 picks a free port)
        #[arg(long, env = "ROLODEX_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Largest accepted request body, in bytes
        #[arg(long, env = "ROLODEX_BODY_LIMIT", default_value_t = limits::DEFAULT_BODY_LIMIT)]
        body_limit: usize,
        #[command(flatten)]
        limits: ServeLimits,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        sandbox: SandboxArgs,
        #[command(flatten)]
        cors: CorsArgs,
        /// Serve Prometheus metrics at http://ADDR/metrics (a listener of its own; off when
        /// unset)
        #[arg(long, env = "ROLODEX_METRICS_LISTEN", value_name = "ADDR")]
        metrics_listen: Option<SocketAddr>,
    },
    /// Create the database if needed and apply migrations
    Migrate,
    /// Copy a whole database (every tenant, token and record, ids and timestamps kept) to another
    /// one, e.g. from SQLite to PostgreSQL or back; then verify the row counts
    Copy {
        /// Source database URL (sqlite://PATH or postgres://...)
        #[arg(long)]
        from: DatabaseUrl,
        /// Target database URL; created and migrated if needed, and must be empty
        #[arg(long)]
        to: DatabaseUrl,
        /// Delete everything in a non-empty target first instead of refusing
        #[arg(long)]
        overwrite: bool,
        /// Rows per write transaction
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=2000))]
        batch_size: u32,
        /// No progress bar
        #[arg(long)]
        quiet: bool,
    },
    /// Fill a tenant with realistic sample data (companies, then contacts), the same for the
    /// same seed; prints the counts and the seed used
    Seed {
        /// Tenant slug; the tenant must exist
        #[arg(long)]
        tenant: String,
        /// Contacts to create (0 to 10000)
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        contacts: i64,
        /// Companies to create (0 to 2000; at least 1 with contacts)
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        companies: i64,
        /// Seed of the generator (default: a random one, printed)
        #[arg(long, allow_negative_numbers = true)]
        seed: Option<i64>,
        /// No progress bar
        #[arg(long)]
        quiet: bool,
    },
    /// Manage API tokens
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Back a SQLite database up to a file, online (the server may keep running and writing);
    /// the copy is checked with PRAGMA integrity_check. For PostgreSQL use pg_dump.
    Backup {
        /// The backup file to write
        #[arg(long)]
        to: std::path::PathBuf,
        /// Replace the file if it exists instead of refusing
        #[arg(long)]
        overwrite: bool,
    },
    /// Print a shell completion script, e.g. `rolodex completions bash > /etc/bash_completion.d/rolodex`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write a local certificate authority (ca.pem, ca-key.pem) and a server certificate signed by
    /// it (cert.pem, key.pem) for `serve --tls-cert DIR/cert.pem --tls-key DIR/key.pem`; clients
    /// trust ca.pem
    Cert {
        /// Directory to write the four files into (created if missing)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A name or IP address the server certificate is for (repeatable; a leading "*." makes
        /// a wildcard) [default: *.api.joinluminous.com, localhost, 127.0.0.1]
        #[arg(long = "host", value_name = "NAME", value_parser = parse_host)]
        hosts: Vec<crate::cert::Host>,
        /// Replace files that exist instead of refusing
        #[arg(long)]
        overwrite: bool,
    },
}

fn parse_host(raw: &str) -> Result<crate::cert::Host, String> {
    crate::cert::Host::parse(raw).map_err(|e| e.to_string())
}

#[derive(Subcommand, Debug)]
enum TokensCommand {
    /// Create a token (and the tenant, if new); prints the token once, on the last line
    Create {
        /// Tenant slug, e.g. acme (as in acme.api.joinluminous.com)
        #[arg(long)]
        tenant: String,
        /// A name to recognise the token by
        #[arg(long)]
        name: Option<String>,
    },
    /// List tokens (never their secrets)
    List {
        #[arg(long)]
        tenant: Option<String>,
        /// A JSON array (id, tenant, name, prefix, created_at, revoked_at) instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id
    Revoke { id: i64 },
}

/// What `rolodex serve ARGS...` would run with (flags and `ROLODEX_*` variables, parsed by the
/// same definitions; TLS files read as `serve` reads them): the database options and the HTTP
/// options. In-process servers (the API tests) start from this, so a flag means the same there as
/// on the command line.
pub fn serve_options(args: &[&str]) -> anyhow::Result<(DbOptions, http::ServeOptions)> {
    let cli = Cli::try_parse_from(["rolodex", "serve"].iter().chain(args))?;
    match cli.command {
        Command::Serve {
            body_limit,
            limits,
            tls,
            sandbox,
            cors,
            ..
        } => {
            let mut options = limits.options(body_limit);
            options.tls = tls.load()?;
            options.cors_origins = cors.cors_origins;
            options.admin = sandbox.admin_key().map_err(|message| {
                clap::Error::raw(clap::error::ErrorKind::ValueValidation, message)
            })?;
            options.journal = sandbox.journal;
            Ok((cli.db.options(), options))
        }
        // Unreachable: the subcommand is ours, and clap refuses anything after it that is not a
        // `serve` flag.
        _ => Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand).into()),
    }
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_guard = init_logging(cli.log_format);
    let result = run(cli.db, cli.command).await;
    // Every queued log line is out before the error line, and before the process exits.
    drop(log_guard);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolodex: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn valid_slug(slug: &str) -> bool {
    Slug::parse(slug).is_some()
}

async fn run(db: DatabaseArgs, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            listen,
            body_limit,
            limits,
            tls,
            sandbox,
            cors,
            metrics_listen,
        } => {
            let listeners = Listeners {
                api: listen,
                metrics: metrics_listen,
            };
            let mut options = limits.options(body_limit);
            options.cors_origins = cors.cors_origins;
            serve(db, listeners, options, tls, sandbox).await
        }
        Command::Seed {
            tenant,
            contacts,
            companies,
            seed,
            quiet,
        } => seed_tenant(&db, &tenant, (contacts, companies, seed), quiet).await,
        Command::Migrate => {
            db.open().await?;
            println!("migrated {}", db.database);
            Ok(())
        }
        Command::Copy {
            from,
            to,
            overwrite,
            batch_size,
            quiet,
        } => copy(&from, &to, overwrite, batch_size, quiet).await,
        Command::Backup { to, overwrite } => {
            let report = crate::store::backup::backup(db.database.expose(), &to, overwrite)?;
            println!(
                "backed up {} to {} ({} bytes); integrity_check: ok",
                db.database,
                to.display(),
                report.bytes
            );
            Ok(())
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            use std::io::Write;
            // Into memory first: clap_complete panics when its writer fails (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "rolodex", &mut script);
            std::io::stdout()
                .write_all(&script)
                .map_err(|e| anyhow::anyhow!("cannot write the completion script: {e}"))
        }
        Command::Cert {
            out,
            hosts,
            overwrite,
        } => cert(&out, hosts, overwrite),
        Command::Tokens { command } => match command {
            TokensCommand::Create { tenant, name } => {
                anyhow::ensure!(
                    valid_slug(&tenant),
                    "invalid tenant slug {tenant:?}: use a-z, 0-9 and -"
                );
                let database = db.open().await?;
                let (id, token) = tokens::create(&database, &tenant, name).await?;
                println!("created token {id} for tenant {tenant}; it is shown only once:");
                println!("{token}");
                Ok(())
            }
            TokensCommand::List { tenant, json } => {
                let database = db.open().await?;
                let tokens = tokens::list(&database, tenant).await?;
                if json {
                    println!("{}", tokens_json(&tokens));
                    return Ok(());
                }
                println!(
                    "{:<6} {:<20} {:<20} {:<10} {:<20} {:<20} STATUS",
                    "ID", "TENANT", "NAME", "PREFIX", "CREATED", "LAST USED"
                );
                for t in tokens {
                    let created = crate::domain::Timestamp(t.created_at).rfc3339();
                    let status = if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    let name = t.name.unwrap_or_default();
                    // Coarse: recorded at most once a minute per token (service::tokens).
                    let last_used = t.last_used_at.map_or_else(
                        || "-".to_owned(),
                        |at| crate::domain::Timestamp(at).rfc3339(),
                    );
                    println!(
                        "{:<6} {:<20} {:<20} {:<10} {:<20} {:<20} {status}",
                        t.id, t.tenant_slug, name, t.prefix, created, last_used
                    );
                }
                Ok(())
            }
            TokensCommand::Revoke { id } => {
                let database = db.open().await?;
                anyhow::ensure!(
                    tokens::revoke(&database, id).await?,
                    "no active token with id {id}"
                );
                println!("revoked token {id}");
                Ok(())
            }
        },
    }
}

/// `tokens list --json`: what the table shows, as an array of objects; never a secret (the
/// prefix is the part of a token shown to recognise it by, as in the table).
fn tokens_json(tokens: &[crate::store::tenants::TokenInfo]) -> String {
    let rfc3339 = |at: i64| crate::domain::Timestamp(at).rfc3339();
    let items: Vec<serde_json::Value> = tokens
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "tenant": t.tenant_slug,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": rfc3339(t.created_at),
                "revoked_at": t.revoked_at.map(rfc3339),
                "last_used_at": t.last_used_at.map(rfc3339),
            })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

async fn copy(
    from: &DatabaseUrl,
    to: &DatabaseUrl,
    overwrite: bool,
    batch_size: u32,
    quiet: bool,
) -> anyhow::Result<()> {
    if from.expose().trim_end_matches('/') == to.expose().trim_end_matches('/') {
        return Err(crate::copy::CopyError::SameDatabase.into());
    }
    let open = |url: &DatabaseUrl| {
        let url = url.clone();
        async move {
            Database::open(url.expose(), &DbOptions::default())
                .await
                .map_err(|e| anyhow::anyhow!("cannot open database {url}: {e}"))
        }
    };
    let source = open(from).await?;
    let target = open(to).await?;
    let options = crate::copy::CopyOptions {
        overwrite,
        batch_size: batch_size as usize,
        progress: !quiet,
    };
    let report = crate::copy::copy(&source, &target, &options).await?;
    for (table, rows) in &report.tables {
        println!("{table:<24} {rows:>10} rows");
    }
    println!(
        "copied {} rows from {from} to {to}; row counts verified",
        report.total(),
    );
    Ok(())
}

fn cert(
    out: &std::path::Path,
    hosts: Vec<crate::cert::Host>,
    overwrite: bool,
) -> anyhow::Result<()> {
    let hosts = if hosts.is_empty() {
        crate::cert::DEFAULT_HOSTS
            .iter()
            .map(|h| crate::cert::Host::parse(h))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        let mut unique = Vec::with_capacity(hosts.len());
        for host in hosts {
            if !unique.contains(&host) {
                unique.push(host);
            }
        }
        unique
    };
    let files = crate::cert::write(out, &hosts, overwrite)?;
    let names: Vec<String> = hosts
        .iter()
        .map(|h| match h {
            crate::cert::Host::Dns(name) => name.clone(),
            crate::cert::Host::Ip(ip) => ip.to_string(),
        })
        .collect();
    println!(
        "wrote a local CA and a server certificate for {}:",
        names.join(", ")
    );
    println!(
        "  {}  the CA: clients trust this (e.g. SSL_CERT_FILE)",
        files.ca.display()
    );
    println!(
        "  {}  the CA's private key (keep it; only for signing)",
        files.ca_key.display()
    );
    println!(
        "  {}  the server certificate (--tls-cert)",
        files.cert.display()
    );
    println!(
        "  {}  the server's private key (--tls-key)",
        files.key.display()
    );
    println!(
        "serve with: rolodex serve --tls-cert {} --tls-key {}",
        files.cert.display(),
        files.key.display()
    );
    Ok(())
}

/// `rolodex seed`: through the same use case as the admin API, with a progress bar on stderr.
async fn seed_tenant(
    db: &DatabaseArgs,
    tenant: &str,
    (contacts, companies, seed): (i64, i64, Option<i64>),
    quiet: bool,
) -> anyhow::Result<()> {
    let request = SeedRequest::check(contacts, companies, seed).map_err(|errors| {
        let all: Vec<String> = errors
            .entries()
            .iter()
            .flat_map(|(_, messages)| messages.iter().cloned())
            .collect();
        anyhow::anyhow!("{}", all.join(" "))
    })?;
    let database = db.open().await?;
    let tenant_id = match admin_use_cases::tenant_id(&database, tenant).await {
        Ok(id) => id,
        Err(AppError::NotFound) => anyhow::bail!(
            "no tenant {tenant:?}: create it first (rolodex tokens create --tenant {tenant})"
        ),
        Err(e) => return Err(e.into()),
    };
    let total = (request.contacts + request.companies) as u64;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(
            "seeding [{bar:40}] {pos}/{len} records, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let progress = |done: usize, _total: usize| bar.set_position(done as u64);
    let made = crate::service::seed::seed(&database, tenant_id, request, &progress).await?;
    bar.finish_and_clear();
    println!(
        "seeded tenant {tenant}: {} companies, {} contacts (seed {})",
        made.companies, made.contacts, made.seed
    );
    Ok(())
}

/// Where `serve` listens: the API, and the metrics if asked for.
struct Listeners {
    api: SocketAddr,
    metrics: Option<SocketAddr>,
}

async fn serve(
    db: DatabaseArgs,
    listen: Listeners,
    mut options: http::ServeOptions,
    tls: TlsArgs,
    sandbox: SandboxArgs,
) -> anyhow::Result<()> {
    // The certificate first: a bad file stops the start before anything else happens.
    options.tls = tls.load()?;
    let shutdown = shutdown_signal()?;
    // Checked before anything is opened; the messages never repeat a token.
    let admin = sandbox
        .admin_key()
        .map_err(|message| anyhow::anyhow!(message))?;
    if let Some(token) = &sandbox.bootstrap_token {
        anyhow::ensure!(
            is_issued_token_form(token.expose()),
            "{}",
            BootstrapError::BadToken
        );
        anyhow::ensure!(
            valid_slug(&sandbox.bootstrap_tenant),
            "{}",
            BootstrapError::BadTenant
        );
    }
    let database = db.open().await?;
    if let Some(token) = &sandbox.bootstrap_token {
        admin_use_cases::bootstrap(&database, &sandbox.bootstrap_tenant, token.expose())
            .await
            .map_err(|e| anyhow::anyhow!("bootstrap token: {e}"))?;
        tracing::info!(tenant = %sandbox.bootstrap_tenant, "bootstrap token ready");
    }
    if let Some(token) = tokens::ensure_demo(&database).await? {
        println!("created tenant demo with an API token (shown only once):");
        println!("{token}");
    }
    let metrics = match listen.metrics {
        None => None,
        Some(address) => {
            let listener = TcpListener::bind(address)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {address} for metrics: {e}"))?;
            let local = listener.local_addr()?;
            let handle = http::metrics::install().map_err(|e| anyhow::anyhow!(e))?;
            println!("rolodex metrics on http://{local}/metrics");
            tracing::info!(address = %local, "serving metrics");
            Some(tokio::spawn(http::metrics::serve(
                listener,
                handle,
                database.clone(),
                std::future::pending(),
            )))
        }
    };
    let listen = listen.api;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr()?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    options.admin = admin;
    options.journal = sandbox.journal;
    println!("rolodex listening on {scheme}://{local}");
    tracing::info!(address = %local, scheme, database = %db.database, "listening");
    http::serve(listener, database, &options, shutdown).await?;
    // The metrics go with the API (not drained: a scrape is quick and can be repeated).
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when it is
/// first polled, so a signal that arrives right after the listening line is not lost (or fatal).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
