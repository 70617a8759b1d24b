//! Accounts: registration, sign-in lookup, profile changes and password resets.
//!
//! The engine never sees a password. The host hashes it (argon2) before [`Commerce::register`]
//! and verifies it against [`Account::password_hash`] after [`Commerce::account_by_login`].

use chrono::{DateTime, Duration, Utc};

use super::{Commerce, Error, Result};
use crate::account::{Account, PasswordReset, Role, Username, check_name};
use crate::customer::{Customer, Email};
use crate::events::EventKind;
use crate::ids::{AccountId, CustomerId};
use crate::ports::storage::{Store, StoreError};

/// What registration needs.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name.
    pub username: Username,
    /// Email.
    pub email: Email,
    /// The password hash (PHC string) the host computed.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
}

/// A profile change; `None` leaves a field as it is, `Some(None)` clears a name.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// New email.
    pub email: Option<Email>,
    /// New given name.
    pub first_name: Option<Option<String>>,
    /// New family name.
    pub last_name: Option<Option<String>>,
}

fn check_hash(hash: &str) -> Result<()> {
    if hash.is_empty() || hash.len() > 512 {
        return Err(Error::Invalid("password hash must be 1 to 512 bytes".into()));
    }
    Ok(())
}

fn check_token_hash(hash: &str) -> Result<()> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(Error::Invalid("a token hash is 64 lower-case hex digits (SHA-256)".into()));
    }
    Ok(())
}

impl<S: Store + ?Sized> Commerce<S> {
    /// Registers an account and its customer in one write, and records an
    /// [`EventKind::AccountRegistered`] event. Fails with [`Error::AlreadyExists`] when the
    /// username or email is taken.
    pub async fn register(&self, new: NewAccount) -> Result<Account> {
        check_hash(&new.password_hash)?;
        let first_name = check_name("first name", new.first_name.as_deref()).map_err(invalid)?;
        let last_name = check_name("last name", new.last_name.as_deref()).map_err(invalid)?;
        let now = self.clock.now();
        let customer_id = CustomerId::from_uuid(self.ids.uuid());
        let mut account = Account {
            id: AccountId::from_uuid(self.ids.uuid()),
            customer_id,
            username: new.username,
            email: new.email,
            password_hash: new.password_hash,
            role: new.role,
            first_name,
            last_name,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let customer = Customer {
            id: customer_id,
            email: account.email.clone(),
            name: account.display_name(),
            group: None,
            created_at: now,
        };
        let event = self.event(EventKind::AccountRegistered {
            account_id: account.id,
            customer_id,
            email: account.email.to_string(),
        });
        self.store.create_account(&customer, &account, &[event]).await?;
        account.version = 1;
        Ok(account)
    }

    /// An account by id.
    pub async fn account(&self, id: AccountId) -> Result<Account> {
        self.store.get_account(id).await?.ok_or_else(|| Error::not_found("account", id))
    }

    /// The account whose username or email is `login` (case-insensitive), if any.
    pub async fn account_by_login(&self, login: &str) -> Result<Option<Account>> {
        let login = login.trim();
        if login.is_empty() || login.len() > 254 {
            return Ok(None);
        }
        Ok(self.store.account_by_login(login).await?)
    }

    /// Changes email and names, retrying on a concurrent change.
    pub async fn update_profile(&self, id: AccountId, update: ProfileUpdate) -> Result<Account> {
        let first = match &update.first_name {
            Some(n) => Some(check_name("first name", n.as_deref()).map_err(invalid)?),
            None => None,
        };
        let last = match &update.last_name {
            Some(n) => Some(check_name("last name", n.as_deref()).map_err(invalid)?),
            None => None,
        };
        self.change_account(id, |a| {
            if let Some(e) = &update.email {
                a.email = e.clone();
            }
            if let Some(f) = &first {
                a.first_name = f.clone();
            }
            if let Some(l) = &last {
                a.last_name = l.clone();
            }
        })
        .await
    }

    /// Replaces the password hash (after the host verified the old password).
    pub async fn set_password_hash(&self, id: AccountId, password_hash: String) -> Result<Account> {
        check_hash(&password_hash)?;
        self.change_account(id, |a| a.password_hash = password_hash.clone()).await
    }

    /// Sets an account's role.
    pub async fn set_role(&self, id: AccountId, role: Role) -> Result<Account> {
        self.change_account(id, |a| a.role = role).await
    }

    async fn change_account(&self, id: AccountId, f: impl Fn(&mut Account)) -> Result<Account> {
        for _ in 0..=self.config.max_retries {
            let mut account = self.account(id).await?;
            let version = account.version;
            f(&mut account);
            account.updated_at = self.clock.now();
            match self.store.update_account(&account, version).await {
                Ok(v) => {
                    account.version = v;
                    return Ok(account);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention { entity: "account", id: id.to_string() })
    }

    /// Starts a password reset for the account with `email`, if there is one: stores the grant
    /// (by `token_hash`, the SHA-256 hex of `token`) valid for `ttl`, and in the same write an
    /// [`EventKind::PasswordResetRequested`] event carrying `token` for the email job. Returns
    /// when the grant expires, or `None` when no account has that email (the host should answer
    /// the same either way, so the response does not reveal which emails exist).
    pub async fn request_password_reset(
        &self,
        email: &Email,
        token: &str,
        token_hash: &str,
        ttl: Duration,
    ) -> Result<Option<DateTime<Utc>>> {
        check_token_hash(token_hash)?;
        if token.len() < 16 {
            return Err(Error::Invalid("a reset token needs at least 16 characters".into()));
        }
        let Some(account) = self.store.account_by_login(email.as_str()).await? else {
            return Ok(None);
        };
        if !account.email.as_str().eq_ignore_ascii_case(email.as_str()) {
            // `login` matched a username that looks like this email; not the same thing.
            return Ok(None);
        }
        let now = self.clock.now();
        let reset = PasswordReset {
            token_hash: token_hash.to_owned(),
            account_id: account.id,
            created_at: now,
            expires_at: now + ttl,
        };
        let event = self.event(EventKind::PasswordResetRequested {
            account_id: account.id,
            email: account.email.to_string(),
            token: token.to_owned(),
            expires_at: reset.expires_at,
        });
        self.store.put_password_reset(&reset, &[event]).await?;
        Ok(Some(reset.expires_at))
    }

    /// Redeems a reset grant: sets the new password hash and revokes every grant of the account.
    /// Fails with [`Error::Invalid`] when the token is unknown, used or expired.
    pub async fn reset_password(&self, token_hash: &str, new_password_hash: &str) -> Result<AccountId> {
        check_hash(new_password_hash)?;
        if check_token_hash(token_hash).is_err() {
            return Err(Error::Invalid("the reset token is invalid or has expired".into()));
        }
        self.store
            .redeem_password_reset(token_hash, new_password_hash, self.clock.now())
            .await?
            .ok_or_else(|| Error::Invalid("the reset token is invalid or has expired".into()))
    }
}

fn invalid(e: crate::ids::InvalidId) -> Error {
    Error::Invalid(e.to_string())
}
