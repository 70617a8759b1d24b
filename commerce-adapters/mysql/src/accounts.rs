//! Accounts and password-reset grants.
//!
//! Uniqueness of usernames and emails is the unique indexes' job (`accounts_by_username`,
//! `accounts_by_email` on the lower-cased email, and the customers' `customers_by_email`): an
//! insert or update that hits one fails with a duplicate key (1062), which is mapped to
//! `StoreError::Duplicate` by the index named in the message, or to `Conflict` for a primary key
//! (or the one-account-per-customer index). Concurrent registrations of one username therefore
//! serialize on the index entry: one commits, the others get the duplicate key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::account::{Account, PasswordReset, Role, Username};
use commerce_core::customer::{Customer, Email};
use commerce_core::events::Event;
use commerce_core::ids::{AccountId, CustomerId};
use commerce_core::ports::storage::{AccountStore, StoreError, StoreResult};
use sqlx::FromRow;

use crate::MySqlStore;
use crate::codec::{data, parse_id, parse_ts, parse_version, ts, version};
use crate::error::{Fail, db, is_unique, unique_or};
use crate::outbox::{EncodedEvent, insert_events};

/// The case-insensitive key of a username or email (what the unique indexes hold).
fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// The field a duplicate-key message names, if it is one of the account uniqueness rules
/// (MariaDB says `for key 'accounts_by_email'`, MySQL 8 `for key 'accounts.accounts_by_email'`).
fn duplicate_field(message: &str) -> Option<&'static str> {
    if message.contains("accounts_by_username") {
        Some("username")
    } else if message.contains("accounts_by_email") || message.contains("customers_by_email") {
        Some("email")
    } else {
        None
    }
}

/// A duplicate key on an account write: `Duplicate` for a username or email, `Conflict` for an
/// id; other errors as usual (transient ones stay transient).
fn account_unique(e: sqlx::Error, entity: &'static str, id: &str) -> Fail {
    if !is_unique(&e) {
        return e.into();
    }
    let message = e.as_database_error().map(|d| d.message().to_owned()).unwrap_or_default();
    match duplicate_field(&message) {
        Some(field) => Fail::Store(StoreError::Duplicate { entity: "account", field }),
        None => unique_or(e, entity, id),
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

impl MySqlStore {
    async fn account_where(&self, sql: &'static str, values: &[&str]) -> StoreResult<Option<Account>> {
        let mut q = sqlx::query_as::<_, AccountRow>(sql);
        for v in values {
            q = q.bind(*v);
        }
        let row = q.fetch_optional(&self.pool).await.map_err(db)?;
        row.map(AccountRow::into_domain).transpose()
    }
}

#[async_trait]
impl AccountStore for MySqlStore {
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
        let group = customer.group.as_ref().map(|g| g.as_str().to_owned());
        let encoded = EncodedEvent::encode_all(events)?;
        write!(self, |tx, _| {
            // The account first: its primary key and unique indexes decide before the customer
            // row is touched (the same order of checks as the other backends).
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
            .map_err(|e| account_unique(e, "account", &id))?;
            sqlx::query(
                "INSERT INTO customers (id, email, name, group_id, created_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&customer_id)
            .bind(customer.email.as_str())
            .bind(&customer.name)
            .bind(&group)
            .bind(&customer_created)
            .execute(&mut *tx)
            .await
            .map_err(|e| account_unique(e, "customer", &customer_id))?;
            insert_events(tx, &encoded).await
        })
    }

    async fn get_account(&self, id: AccountId) -> StoreResult<Option<Account>> {
        let sql = concat!("SELECT ", account_columns!(), " FROM accounts WHERE id = ?");
        self.account_where(sql, &[&id.to_string()]).await
    }

    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>> {
        let key = fold(login);
        // A username has no '@' and an email always has one: at most one row matches.
        let sql = concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE username = ? OR email_lower = ? LIMIT 1"
        );
        self.account_where(sql, &[&key, &key]).await
    }

    async fn account_of_customer(&self, customer: CustomerId) -> StoreResult<Option<Account>> {
        let sql = concat!("SELECT ", account_columns!(), " FROM accounts WHERE customer_id = ?");
        self.account_where(sql, &[&customer.to_string()]).await
    }

    async fn update_account(&self, account: &Account, expected_version: u64) -> StoreResult<u64> {
        let id = account.id.to_string();
        let email_lower = fold(account.email.as_str());
        let updated_at = ts(account.updated_at)?;
        let expected = version(expected_version)?;
        let next = version(expected_version + 1)?;
        let name = account.display_name();
        let conflict = || Fail::Store(StoreError::Conflict { entity: "account", id: id.clone() });
        write!(self, |tx, _| {
            let customer_id: Option<String> = sqlx::query_scalar(
                "SELECT customer_id FROM accounts WHERE id = ? AND version = ? FOR UPDATE",
            )
            .bind(&id)
            .bind(expected)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(customer_id) = customer_id else { return Err(conflict()) };
            let n = sqlx::query(
                "UPDATE accounts SET username = ?, email = ?, email_lower = ?, password_hash = ?, \
                 role = ?, first_name = ?, last_name = ?, updated_at = ?, version = ? \
                 WHERE id = ? AND version = ?",
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
            .map_err(|e| account_unique(e, "account", &id))?
            .rows_affected();
            if n == 0 {
                return Err(conflict());
            }
            sqlx::query("UPDATE customers SET email = ?, name = ? WHERE id = ?")
                .bind(account.email.as_str())
                .bind(&name)
                .bind(&customer_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| account_unique(e, "customer", &customer_id))?;
            Ok(expected_version + 1)
        })
    }

    async fn put_password_reset(&self, reset: &PasswordReset, events: &[Event]) -> StoreResult<()> {
        let account_id = reset.account_id.to_string();
        let created_at = ts(reset.created_at)?;
        let expires_at = ts(reset.expires_at)?;
        let encoded = EncodedEvent::encode_all(events)?;
        write!(self, |tx, _| {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM accounts WHERE id = ? LOCK IN SHARE MODE")
                    .bind(&account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(Fail::Store(StoreError::NotFound { entity: "account", id: account_id.clone() }));
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
            .map_err(|e| unique_or(e, "password reset", &reset.token_hash))?;
            insert_events(tx, &encoded).await
        })
    }

    async fn redeem_password_reset(
        &self,
        token_hash: &str,
        new_password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AccountId>> {
        let now_text = ts(now)?;
        let redeemed: Option<String> = write!(self, |tx, _| {
            // The grant's row lock serializes redemptions of one token: a second one waits, then
            // finds the row deleted.
            let grant: Option<(String, String)> = sqlx::query_as(
                "SELECT account_id, expires_at FROM password_resets WHERE token_hash = ? FOR UPDATE",
            )
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((account_id, expires_at)) = grant else { return Ok(None) };
            if now >= parse_ts(&expires_at)? {
                sqlx::query("DELETE FROM password_resets WHERE token_hash = ?")
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await?;
                return Ok(None);
            }
            let n = sqlx::query(
                "UPDATE accounts SET password_hash = ?, version = version + 1, updated_at = ? WHERE id = ?",
            )
            .bind(new_password_hash)
            .bind(&now_text)
            .bind(&account_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM password_resets WHERE account_id = ?")
                .bind(&account_id)
                .execute(&mut *tx)
                .await?;
            Ok((n > 0).then_some(account_id))
        })?;
        redeemed.map(|id| parse_id(&id)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_name_their_field() {
        for (message, field) in [
            ("Duplicate entry 'ann' for key 'accounts_by_username'", Some("username")),
            ("Duplicate entry 'ann' for key 'accounts.accounts_by_username'", Some("username")),
            ("Duplicate entry 'a@b.c' for key 'accounts_by_email'", Some("email")),
            ("Duplicate entry 'a@b.c' for key 'customers.customers_by_email'", Some("email")),
            ("Duplicate entry 'x' for key 'PRIMARY'", None),
            ("Duplicate entry 'x' for key 'accounts.accounts_by_customer'", None),
        ] {
            assert_eq!(duplicate_field(message), field, "{message}");
        }
    }
}
