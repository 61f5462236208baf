//! `codetill-relay`: serve the relay, or administer its store.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use codetill_relay::{MasterKey, Relay, RelayConfig, Store, admin};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "codetill-relay",
    version,
    about = "The webhook relay between payment providers and codetill desktops"
)]
struct Cli {
    /// The store: sqlite://FILE (default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "CODETILL_RELAY_DB",
        default_value = "sqlite://relay.db",
        global = true
    )]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve webhooks and the desktop's pull API.
    Serve {
        /// Address to listen on (put TLS in front of it).
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: String,
        /// Days after which acknowledged bodies are dropped.
        #[arg(long, default_value_t = 30)]
        retention_days: u64,
        /// Sustained webhooks per second per endpoint (0: no limit).
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        /// Burst per endpoint above the sustained rate.
        #[arg(long, default_value_t = 500)]
        burst: u32,
        /// Serve GET /metrics (Prometheus) on this address, apart from the
        /// public one (e.g. 127.0.0.1:9787); without it there is no /metrics.
        #[arg(long)]
        metrics_listen: Option<String>,
        /// Connections served at once; more wait in the kernel's backlog.
        #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=1 << 20))]
        max_connections: u32,
        /// Seconds a request's head may take to arrive (also how long a
        /// kept-alive connection may wait for its next request).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
        header_timeout: u64,
        /// Seconds a request's body may take to arrive.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        body_timeout: u64,
        /// Seconds after which a connection that runs no request and moves no
        /// byte is closed.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        idle_timeout: u64,
    },
    /// Shops.
    Shop {
        #[command(subcommand)]
        command: ShopCommand,
    },
    /// Inbound webhook endpoints.
    Endpoint {
        #[command(subcommand)]
        command: EndpointCommand,
    },
    /// Client tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Asks a running relay's GET /healthz (for a container's HEALTHCHECK or a
    /// service's start): exit 0 when it and its store answer, 1 otherwise.
    Health {
        /// The relay's address (its public listener or the metrics one).
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: String,
        /// Seconds to wait for an answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
}

#[derive(Subcommand)]
enum ShopCommand {
    /// Add a shop; prints its id and client token (shown once).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum EndpointCommand {
    /// Add an endpoint; reads the webhook secret from stdin (one per line).
    Add {
        #[arg(long)]
        shop: String,
        /// stripe, btcpay, nowpayments or razorpay.
        #[arg(long)]
        provider: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a new client token; the old one stops working.
    Rotate {
        #[arg(long)]
        shop: String,
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() {
    // Logs go to stderr: stdout carries only what the command prints.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("codetill_relay=info")),
        )
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("codetill-relay: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            retention_days,
            rate,
            burst,
            metrics_listen,
            max_connections,
            header_timeout,
            body_timeout,
            idle_timeout,
        } => {
            let key = MasterKey::from_env()?;
            let store = open(&cli.db).await?;
            let mut config = RelayConfig::new(key);
            config.retention = Duration::from_secs(retention_days.saturating_mul(24 * 3600));
            config.rate_per_second = rate;
            config.rate_burst = burst;
            config.max_connections = max_connections as usize;
            config.header_timeout = Duration::from_secs(header_timeout);
            config.body_timeout = Duration::from_secs(body_timeout);
            config.idle_timeout = Duration::from_secs(idle_timeout);
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let metrics_listener = match &metrics_listen {
                Some(metrics_listen) => Some(
                    tokio::net::TcpListener::bind(metrics_listen)
                        .await
                        .with_context(|| format!("cannot listen on {metrics_listen}"))?,
                ),
                None => None,
            };
            let addr = listener.local_addr()?;
            tracing::info!(%addr, store = store.backend(), "relay listening");
            let relay = Relay::start(store, config);
            let metrics = match metrics_listener {
                Some(metrics_listener) => {
                    let metrics_addr = metrics_listener.local_addr()?;
                    tracing::info!(addr = %metrics_addr, "metrics listening");
                    Some(tokio::spawn(codetill_relay::run_metrics(
                        metrics_listener,
                        relay.clone(),
                    )))
                }
                None => None,
            };
            // One line on stdout that scripts and tests wait for.
            println!("codetill-relay listening on {addr}");
            codetill_relay::run(listener, relay, codetill_relay::shutdown_signal()).await?;
            if let Some(metrics) = metrics {
                metrics.await??;
            }
            Ok(())
        }
        Command::Shop {
            command: ShopCommand::Add { name, json },
        } => {
            let store = open(&cli.db).await?;
            let created = admin::add_shop(&store, &name).await?;
            print(&created, json, || {
                format!(
                    "shop_id  {}\ntoken    {}\n(the token is shown once: put it in the desktop's relay settings)",
                    created.shop_id, created.token
                )
            })
        }
        Command::Endpoint {
            command:
                EndpointCommand::Add {
                    shop,
                    provider,
                    json,
                },
        } => {
            let key = MasterKey::from_env()?;
            let stdin = std::io::stdin();
            let secrets = if stdin.is_terminal() {
                // Typed or pasted by a person: one line, no Ctrl-D needed.
                eprint!("webhook secret for {provider}: ");
                let mut line = String::new();
                stdin.read_line(&mut line)?;
                admin::read_secrets(line.as_bytes())?
            } else {
                admin::read_secrets(stdin.lock())?
            };
            let store = open(&cli.db).await?;
            let created = admin::add_endpoint(&store, &key, &shop, &provider, &secrets).await?;
            print(&created, json, || {
                format!(
                    "endpoint_id  {}\nwebhook URL  https://<this relay>/in/{}",
                    created.endpoint_id, created.endpoint_id
                )
            })
        }
        Command::Health { addr, timeout } => health(&addr, Duration::from_secs(timeout)).await,
        Command::Token {
            command: TokenCommand::Rotate { shop, json },
        } => {
            let store = open(&cli.db).await?;
            let rotated = admin::rotate_token(&store, &shop).await?;
            print(&rotated, json, || {
                format!(
                    "shop_id  {}\ntoken    {}\n(the old token no longer works)",
                    rotated.shop_id, rotated.token
                )
            })
        }
    }
}

/// GET /healthz over plain HTTP/1.0 (the relay sits behind a TLS front): the
/// image has no curl, and this needs no client library.
async fn health(addr: &str, timeout: Duration) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot reach the relay at {addr}"))?;
        stream
            .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        anyhow::Ok(String::from_utf8_lossy(&answer).into_owned())
    };
    let answer = tokio::time::timeout(timeout, ask)
        .await
        .with_context(|| format!("the relay at {addr} did not answer within {timeout:?}"))??;
    let status = answer.lines().next().unwrap_or_default();
    anyhow::ensure!(
        status.split_whitespace().nth(1) == Some("200"),
        "the relay at {addr} is not healthy: {status}"
    );
    println!("{}", answer.split("\r\n\r\n").nth(1).unwrap_or_default());
    Ok(())
}

async fn open(url: &str) -> anyhow::Result<Store> {
    // The URL may carry a password: name only the backend in errors.
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    Store::open(url)
        .await
        .with_context(|| format!("cannot open the {backend} store"))
}

fn print(value: &impl Serialize, json: bool, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}
