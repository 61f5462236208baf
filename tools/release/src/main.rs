//! `codetill-release`: the update key pair, update signatures and the manifest.
//!
//!     codetill-release keygen [--dir DIR]          # DIR/codetill-update.key (0600) and .pub
//!     codetill-release sign FILE --version V [--key PATH]   # FILE.sig beside it
//!     codetill-release manifest --version V --url URL --sig FILE.sig [--notes TEXT]

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "codetill-release",
    version,
    about = "Signing codetill's updates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Makes the update key pair; refuses to replace one.
    Keygen {
        #[arg(long, default_value_os_t = default_dir())]
        dir: PathBuf,
    },
    /// Signs a bundle for the updater (FILE.sig, base64).
    Sign {
        file: PathBuf,
        #[arg(long)]
        version: String,
        #[arg(long, default_value_os_t = default_dir().join(KEY_FILE))]
        key: PathBuf,
    },
    /// Prints the update manifest (JSON) the app's update URL serves.
    Manifest {
        #[arg(long)]
        version: String,
        #[arg(long)]
        url: String,
        #[arg(long)]
        sig: PathBuf,
        #[arg(long, default_value = "")]
        notes: String,
    },
}

const KEY_FILE: &str = "codetill-update.key";
const PUB_FILE: &str = "codetill-update.pub";

/// Outside any repository: the user's config folder.
fn default_dir() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("codetill-release")
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Keygen { dir } => {
            let key = dir.join(KEY_FILE);
            anyhow::ensure!(
                !key.exists(),
                "{} exists: a new key would orphan every app built with the old one",
                key.display()
            );
            std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
            let pair = codetill_release::keygen()?;
            write_private(&key, &pair.secret)?;
            std::fs::write(dir.join(PUB_FILE), &pair.public)?;
            println!("{}", pair.public);
            eprintln!(
                "secret key: {} (never commit it); public key above: export CODETILL_UPDATER_PUBKEY=… for the release build",
                key.display()
            );
        }
        Command::Sign { file, version, key } => {
            let secret = std::fs::read_to_string(&key)
                .with_context(|| format!("the update key {}", key.display()))?;
            let data = std::fs::read(&file).with_context(|| file.display().to_string())?;
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .context("a file name")?;
            let signature = codetill_release::sign(&secret, &data, name, &version)?;
            let sig = PathBuf::from(format!("{}.sig", file.display()));
            std::fs::write(&sig, &signature)?;
            println!("{}", sig.display());
        }
        Command::Manifest {
            version,
            url,
            sig,
            notes,
        } => {
            let signature =
                std::fs::read_to_string(&sig).with_context(|| sig.display().to_string())?;
            let manifest = codetill_release::manifest(&version, &notes, &url, signature.trim());
            println!("{}", serde_json::to_string_pretty(&manifest)?);
        }
    }
    Ok(())
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    open.open(path)?.write_all(text.as_bytes())?;
    Ok(())
}
