//! `huddle admin ...`: server administration on the configured database,
//! with the server running or not (the database is opened and migrated
//! as the server does; SQLite's write-ahead log lets both write).

use super::config::{AdminCommand, Config};
use super::store::{Store, StoreOptions};
use crate::protocol::Username;
use anyhow::Context;

/// Runs `command` on `config`'s database; what it did, in one line, or
/// why it could not.
pub async fn run(config: &Config, command: &AdminCommand) -> anyhow::Result<String> {
    match command {
        AdminCommand::Grant { name } => {
            let name = Username::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
            let store = open(config).await?;
            let granted = store
                .grant_admin(&name)
                .await
                .context("cannot update the account");
            store.close().await;
            match granted? {
                Some(user) => Ok(format!("{} is now a server admin", user.username)),
                None => anyhow::bail!("no account is named {name}"),
            }
        }
    }
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
    }
    let options = StoreOptions {
        sqlite_synchronous: config.sqlite_synchronous,
    };
    Store::connect_with(&config.database_url(), options)
        .await
        .context("cannot open the database: check HUDDLE_DATABASE_URL and the data directory")
}
