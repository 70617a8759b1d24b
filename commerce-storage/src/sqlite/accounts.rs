//! Accounts and password-reset grants.
//!
//! Uniqueness of usernames and emails is kept by unique indexes (`username`, stored lower-cased,
//! and `email_lower`); every write first looks the values up inside its `BEGIN IMMEDIATE`
//! transaction, so it can say which one is taken, and the indexes back that up.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::account::{Account, PasswordReset, Role, Username};
use commerce_core::customer::{Customer, Email};
use commerce_core::events::Event;
use commerce_core::ids::{AccountId, CustomerId};
use commerce_core::ports::storage::{AccountStore, StoreError, StoreResult};
use sqlx::{FromRow, SqliteConnection};

use super::codec::{data, parse_id, parse_ts, parse_version, ts, version};
use super::error::{db, is_unique};
use super::outbox::{EncodedEvent, insert_events};
use super::{SqliteStore, commit};

/// The case-insensitive key of a username or email (what the unique indexes hold).
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn duplicate(field: &'static str) -> StoreError {
    StoreError::Duplicate { entity: "account", field }
}

/// Maps a unique violation on the accounts or customers tables to the field it names.
fn account_unique(e: sqlx::Error, id: AccountId) -> StoreError {
    if !is_unique(&e) {
        return db(e);
    }
    let message = e.as_database_error().map(|d| d.message().to_owned()).unwrap_or_default();
    if message.contains("accounts.username") {
        duplicate("username")
    } else if message.contains("email") {
        duplicate("email")
    } else {
        StoreError::Conflict { entity: "account", id: id.to_string() }
    }
}

macro_rules! account_columns {
    () => {
        "id, customer_id, username, email, password_hash, role, first_name, last_name, version, \
         created_at, updated_at"
    };
}

#[derive(FromRow)]
struct AccountRow {
    id: String,
    customer_id: String,
    username: String,
    email: String,
    password_hash: String,
    role: String,
    first_name: Option<String>,
    last_name: Option<String>,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl AccountRow {
    fn into_domain(self) -> StoreResult<Account> {
        Ok(Account {
            id: parse_id(&self.id)?,
            customer_id: parse_id(&self.customer_id)?,
            username: Username::parse(&self.username).map_err(|e| data("bad username", e))?,
            email: Email::parse(&self.email).map_err(|e| data("bad email", e))?,
            password_hash: self.password_hash,
            role: Role::parse(&self.role).ok_or_else(|| data("bad role", &self.role))?,
            first_name: self.first_name,
            last_name: self.last_name,
            version: parse_version(self.version)?,
            created_at: parse_ts(&self.created_at)?,
            updated_at: parse_ts(&self.updated_at)?,
        })
    }
}

/// `Duplicate` if an account other than `id` has `username` or the email `email_lower`.
async fn check_unique(
    conn: &mut SqliteConnection,
    id: &str,
    username: &str,
    email_lower: &str,
) -> StoreResult<()> {
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE username = ? AND id <> ? LIMIT 1")
            .bind(username)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    if taken.is_some() {
        return Err(duplicate("username"));
    }
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE email_lower = ? AND id <> ? LIMIT 1")
            .bind(email_lower)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    if taken.is_some() {
        return Err(duplicate("email"));
    }
    Ok(())
}

async fn exists(conn: &mut SqliteConnection, sql: &'static str, id: &str) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(sql).bind(id).fetch_optional(&mut *conn).await.map_err(db)?;
    Ok(found.is_some())
}

impl SqliteStore {
    async fn account_where(&self, condition: &'static str, values: &[&str]) -> StoreResult<Option<Account>> {
        let sql = match condition {
            "id" => concat!("SELECT ", account_columns!(), " FROM accounts WHERE id = ?"),
            "customer" => concat!("SELECT ", account_columns!(), " FROM accounts WHERE customer_id = ?"),
            _ => {
                concat!("SELECT ", account_columns!(), " FROM accounts WHERE username = ? OR email_lower = ?")
            }
        };
        let mut q = sqlx::query_as::<_, AccountRow>(sql);
        for v in values {
            q = q.bind(*v);
        }
        let row = q.fetch_optional(self.reader()).await.map_err(db)?;
        row.map(AccountRow::into_domain).transpose()
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(
        &self,
        customer: &Customer,
        account: &Account,
        events: &[Event],
    ) -> StoreResult<()> {
        if account.customer_id != customer.id {
            return Err(data(
                "account and customer differ",
                format!("account {} names customer {}, not {}", account.id, account.customer_id, customer.id),
            ));
        }
        let id = account.id.to_string();
        let customer_id = customer.id.to_string();
        let email_lower = fold(account.email.as_str());
        let created_at = ts(account.created_at)?;
        let updated_at = ts(account.updated_at)?;
        let customer_created = ts(customer.created_at)?;
        let encoded = EncodedEvent::encode_all(events)?;
        let mut tx = self.write().await?;
        if exists(&mut tx, "SELECT 1 FROM accounts WHERE id = ?", &id).await? {
            return Err(StoreError::Conflict { entity: "account", id });
        }
        if exists(&mut tx, "SELECT 1 FROM customers WHERE id = ?", &customer_id).await? {
            return Err(StoreError::Conflict { entity: "customer", id: customer_id });
        }
        check_unique(&mut tx, &id, account.username.as_str(), &email_lower).await?;
        sqlx::query("INSERT INTO customers (id, email, name, group_id, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&customer_id)
            .bind(customer.email.as_str())
            .bind(&customer.name)
            .bind(customer.group.as_ref().map(|g| g.as_str().to_owned()))
            .bind(&customer_created)
            .execute(&mut *tx)
            .await
            .map_err(|e| account_unique(e, account.id))?;
        sqlx::query(concat!(
            "INSERT INTO accounts (",
            account_columns!(),
            ", email_lower) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)"
        ))
        .bind(&id)
        .bind(&customer_id)
        .bind(account.username.as_str())
        .bind(account.email.as_str())
        .bind(&account.password_hash)
        .bind(account.role.as_str())
        .bind(&account.first_name)
        .bind(&account.last_name)
        .bind(&created_at)
        .bind(&updated_at)
        .bind(&email_lower)
        .execute(&mut *tx)
        .await
        .map_err(|e| account_unique(e, account.id))?;
        insert_events(&mut tx, &encoded).await?;
        commit(tx).await
    }

    async fn get_account(&self, id: AccountId) -> StoreResult<Option<Account>> {
        self.account_where("id", &[&id.to_string()]).await
    }

    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>> {
        let key = fold(login);
        self.account_where("login", &[&key, &key]).await
    }

    async fn account_of_customer(&self, customer: CustomerId) -> StoreResult<Option<Account>> {
        self.account_where("customer", &[&customer.to_string()]).await
    }

    async fn update_account(&self, account: &Account, expected_version: u64) -> StoreResult<u64> {
        let id = account.id.to_string();
        let email_lower = fold(account.email.as_str());
        let updated_at = ts(account.updated_at)?;
        let expected = version(expected_version)?;
        let next = version(expected_version + 1)?;
        let conflict = || StoreError::Conflict { entity: "account", id: account.id.to_string() };
        let mut tx = self.write().await?;
        let stored: Option<(String, i64)> =
            sqlx::query_as("SELECT customer_id, version FROM accounts WHERE id = ?")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some((customer_id, stored_version)) = stored else { return Err(conflict()) };
        if stored_version != expected {
            return Err(conflict());
        }
        check_unique(&mut tx, &id, account.username.as_str(), &email_lower).await?;
        sqlx::query("UPDATE customers SET email = ?, name = ? WHERE id = ?")
            .bind(account.email.as_str())
            .bind(account.display_name())
            .bind(&customer_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| account_unique(e, account.id))?;
        let n = sqlx::query(
            "UPDATE accounts SET username = ?, email = ?, email_lower = ?, password_hash = ?, role = ?, \
             first_name = ?, last_name = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?",
        )
        .bind(account.username.as_str())
        .bind(account.email.as_str())
        .bind(&email_lower)
        .bind(&account.password_hash)
        .bind(account.role.as_str())
        .bind(&account.first_name)
        .bind(&account.last_name)
        .bind(&updated_at)
        .bind(next)
        .bind(&id)
        .bind(expected)
        .execute(&mut *tx)
        .await
        .map_err(|e| account_unique(e, account.id))?
        .rows_affected();
        if n == 0 {
            return Err(conflict());
        }
        commit(tx).await?;
        Ok(expected_version + 1)
    }

    async fn put_password_reset(&self, reset: &PasswordReset, events: &[Event]) -> StoreResult<()> {
        let account_id = reset.account_id.to_string();
        let created_at = ts(reset.created_at)?;
        let expires_at = ts(reset.expires_at)?;
        let encoded = EncodedEvent::encode_all(events)?;
        let mut tx = self.write().await?;
        if !exists(&mut tx, "SELECT 1 FROM accounts WHERE id = ?", &account_id).await? {
            return Err(StoreError::NotFound { entity: "account", id: account_id });
        }
        sqlx::query(
            "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&reset.token_hash)
        .bind(&account_id)
        .bind(&created_at)
        .bind(&expires_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| super::error::unique_or(e, "password reset", &reset.token_hash))?;
        insert_events(&mut tx, &encoded).await?;
        commit(tx).await
    }

    async fn redeem_password_reset(
        &self,
        token_hash: &str,
        new_password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AccountId>> {
        let now_text = ts(now)?;
        let mut tx = self.write().await?;
        let grant: Option<(String, String)> =
            sqlx::query_as("SELECT account_id, expires_at FROM password_resets WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some((account_id, expires_at)) = grant else { return Ok(None) };
        if now >= parse_ts(&expires_at)? {
            sqlx::query("DELETE FROM password_resets WHERE token_hash = ?")
                .bind(token_hash)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            commit(tx).await?;
            return Ok(None);
        }
        let n = sqlx::query(
            "UPDATE accounts SET password_hash = ?, version = version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(new_password_hash)
        .bind(&now_text)
        .bind(&account_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        sqlx::query("DELETE FROM password_resets WHERE account_id = ?")
            .bind(&account_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit(tx).await?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(parse_id(&account_id)?))
    }
}
