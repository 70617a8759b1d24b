//! Accounts: registration with its customer and events, case-insensitive logins and uniqueness,
//! optimistic updates, password-reset grants.

use std::sync::Arc;

use chrono::Duration;
use commerce_core::account::{Account, PasswordReset, Role, Username};
use commerce_core::customer::{Customer, Email};
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{AccountId, CustomerId, EventId};
use commerce_core::ports::storage::{Store, StoreError};

use super::events_named;
use crate::testkit::Harness;

fn dup(field: &'static str) -> StoreError {
    StoreError::Duplicate { entity: "account", field }
}

/// A customer and its account (version 1, no names), and the registration event.
fn new_account(h: &Harness, username: &str, email: &str) -> (Customer, Account, Event) {
    let customer_id = CustomerId::from_uuid(h.uuid());
    let account = Account {
        id: AccountId::from_uuid(h.uuid()),
        customer_id,
        username: Username::parse(username).unwrap(),
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::Customer,
        first_name: None,
        last_name: None,
        version: 1,
        created_at: h.now(),
        updated_at: h.now(),
    };
    let customer = Customer {
        id: customer_id,
        email: account.email.clone(),
        name: account.display_name(),
        group: None,
        created_at: h.now(),
    };
    let event = Event {
        id: EventId::from_uuid(h.uuid()),
        occurred_at: h.now(),
        kind: EventKind::AccountRegistered {
            account_id: account.id,
            customer_id,
            email: account.email.to_string(),
        },
    };
    (customer, account, event)
}

async fn register(h: &Harness, username: &str, email: &str) -> Account {
    let (c, a, e) = new_account(h, username, email);
    h.store.create_account(&c, &a, &[e]).await.unwrap();
    a
}

/// Asserts that a refused registration left nothing behind.
async fn nothing_written(store: &dyn Store, c: &Customer, a: &Account, events_before: usize) {
    assert_eq!(store.get_account(a.id).await.unwrap(), None, "no account");
    assert_eq!(store.get_customer(c.id).await.unwrap(), None, "no customer");
    assert_eq!(store.account_of_customer(c.id).await.unwrap(), None);
    assert_eq!(store.all_events(100_000).await.unwrap().len(), events_before, "no events");
}

/// Registration writes customer, account (version 1) and events together; logins match username
/// or email in any case; a taken username or email (in another case) is `Duplicate` and writes
/// nothing; an existing account or customer id is `Conflict`.
pub async fn account_registration_and_login(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let (c, mut a, e) = new_account(&h, "Ann_01", "Ann.Lee@Example.com");
    a.version = 7; // the store sets 1
    store.create_account(&c, &a, std::slice::from_ref(&e)).await.unwrap();
    a.version = 1;
    assert_eq!(a.username.as_str(), "ann_01");
    assert_eq!(store.get_account(a.id).await.unwrap().as_ref(), Some(&a), "round trip");
    assert_eq!(store.get_customer(c.id).await.unwrap().as_ref(), Some(&c), "customer written");
    assert_eq!(store.account_of_customer(c.id).await.unwrap().as_ref(), Some(&a));
    assert_eq!(events_named(&*store, "account_registered").await, vec![e], "event written");
    for login in
        ["ann_01", "ANN_01", "Ann_01", "ann.lee@example.com", "ANN.LEE@EXAMPLE.COM", "Ann.Lee@Example.com"]
    {
        assert_eq!(store.account_by_login(login).await.unwrap().map(|x| x.id), Some(a.id), "{login}");
    }
    for login in ["ann", "ann_02", "ann.lee@example.org", "ann_01@example.com", ""] {
        assert_eq!(store.account_by_login(login).await.unwrap(), None, "{login}");
    }
    assert_eq!(store.get_account(AccountId::from_uuid(h.uuid())).await.unwrap(), None);
    assert_eq!(store.account_of_customer(CustomerId::from_uuid(h.uuid())).await.unwrap(), None);

    let before = store.all_events(100_000).await.unwrap().len();
    // the username in another case
    let (c2, a2, e2) = new_account(&h, "ANN_01", "someone@example.com");
    assert_eq!(store.create_account(&c2, &a2, &[e2]).await, Err(dup("username")));
    nothing_written(&*store, &c2, &a2, before).await;
    assert_eq!(store.customer_by_email(&c2.email).await.unwrap(), None, "no customer by email");
    // the email in another case
    let (c3, a3, e3) = new_account(&h, "ann_02", "ANN.LEE@example.com");
    assert_eq!(store.create_account(&c3, &a3, &[e3]).await, Err(dup("email")));
    nothing_written(&*store, &c3, &a3, before).await;
    // a customer without an account holding the email exactly
    let (c4, a4, e4) = new_account(&h, "walk_in", "walk.in@example.com");
    let walk_in = Customer { id: CustomerId::from_uuid(h.uuid()), ..c4.clone() };
    store.put_customer(&walk_in).await.unwrap();
    assert_eq!(store.create_account(&c4, &a4, &[e4]).await, Err(dup("email")), "customer email taken");
    nothing_written(&*store, &c4, &a4, before).await;
    // an existing account id
    let (c5, mut a5, e5) = new_account(&h, "ann_03", "ann3@example.com");
    a5.id = a.id;
    let err = store.create_account(&c5, &a5, &[e5]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "existing account id: {err:?}");
    assert_eq!(store.get_customer(c5.id).await.unwrap(), None, "no customer");
    // an existing customer id
    let (mut c6, mut a6, e6) = new_account(&h, "ann_04", "ann4@example.com");
    c6.id = walk_in.id;
    a6.customer_id = walk_in.id;
    c6.email = Email::parse("other@example.com").unwrap();
    let err = store.create_account(&c6, &a6, &[e6]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "existing customer id: {err:?}");
    assert_eq!(store.get_account(a6.id).await.unwrap(), None, "no account");
    assert_eq!(store.get_customer(walk_in.id).await.unwrap(), Some(walk_in), "customer untouched");
    assert_eq!(store.all_events(100_000).await.unwrap().len(), before, "no events from any refusal");
    // and a fresh one still goes through
    let b = register(&h, "bob", "bob@example.com").await;
    assert_eq!(store.account_by_login("BOB").await.unwrap().map(|x| x.id), Some(b.id));
}

/// `update_account` checks the version, stores version + 1, refuses a taken email (any case) as
/// `Duplicate`, and carries email and display name over to the customer.
pub async fn account_updates(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let a = register(&h, "ann", "ann@example.com").await;
    let b = register(&h, "bob", "bob@example.com").await;
    let mut changed = a.clone();
    changed.email = Email::parse("Ann.Lee@example.com").unwrap();
    changed.first_name = Some("Ann".into());
    changed.last_name = Some("Lee".into());
    changed.role = Role::Admin;
    changed.updated_at = h.now() + Duration::minutes(1);
    assert_eq!(store.update_account(&changed, 1).await, Ok(2));
    changed.version = 2;
    assert_eq!(store.get_account(a.id).await.unwrap().as_ref(), Some(&changed), "replaced");
    let customer = store.get_customer(a.customer_id).await.unwrap().unwrap();
    assert_eq!((customer.email.as_str(), customer.name.as_str()), ("Ann.Lee@example.com", "Ann Lee"));
    assert_eq!(store.account_by_login("ann@example.com").await.unwrap(), None, "old email gone");
    assert_eq!(store.account_by_login("ann.lee@EXAMPLE.com").await.unwrap().map(|x| x.id), Some(a.id));
    // a stale version
    let mut stale = changed.clone();
    stale.first_name = Some("Stale".into());
    assert!(matches!(store.update_account(&stale, 1).await, Err(StoreError::Conflict { .. })), "stale");
    // an unknown account
    let ghost = Account { id: AccountId::from_uuid(h.uuid()), ..changed.clone() };
    assert!(matches!(store.update_account(&ghost, 1).await, Err(StoreError::Conflict { .. })), "unknown");
    // a taken email, in another case
    let mut taken = changed.clone();
    taken.email = Email::parse("BOB@example.com").unwrap();
    taken.first_name = Some("Taken".into());
    assert_eq!(store.update_account(&taken, 2).await, Err(dup("email")));
    assert_eq!(store.get_account(a.id).await.unwrap().as_ref(), Some(&changed), "unchanged");
    let customer = store.get_customer(a.customer_id).await.unwrap().unwrap();
    assert_eq!(customer.email.as_str(), "Ann.Lee@example.com", "customer unchanged");
    // names cleared: the customer's name falls back to the username
    let mut cleared = changed.clone();
    cleared.first_name = None;
    cleared.last_name = None;
    assert_eq!(store.update_account(&cleared, 2).await, Ok(3));
    assert_eq!(store.get_customer(a.customer_id).await.unwrap().unwrap().name, "ann");
    // another account is untouched
    assert_eq!(store.get_account(b.id).await.unwrap(), Some(b.clone()));
    let bc = store.get_customer(b.customer_id).await.unwrap().unwrap();
    assert_eq!((bc.email.as_str(), bc.name.as_str()), ("bob@example.com", "bob"));
}

fn token(i: u32) -> String {
    format!("{i:064x}")
}

fn grant(h: &Harness, i: u32, account: AccountId, ttl: Duration) -> PasswordReset {
    PasswordReset {
        token_hash: token(i),
        account_id: account,
        created_at: h.now(),
        expires_at: h.now() + ttl,
    }
}

/// Reset grants: stored with their events; redeeming sets the hash, bumps the version and
/// revokes every grant of the account (not other accounts'); used, revoked, expired and unknown
/// tokens give `None`; an expired grant is deleted.
pub async fn password_reset_grants(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let a = register(&h, "ann", "ann@example.com").await;
    let b = register(&h, "bob", "bob@example.com").await;
    let event = |account: &Account, g: &PasswordReset| Event {
        id: EventId::from_uuid(h.uuid()),
        occurred_at: h.now(),
        kind: EventKind::PasswordResetRequested {
            account_id: account.id,
            email: account.email.to_string(),
            token: format!("secret-token-{}", g.token_hash),
            expires_at: g.expires_at,
        },
    };
    let g1 = grant(&h, 1, a.id, Duration::hours(1));
    let g2 = grant(&h, 2, a.id, Duration::hours(1));
    let g3 = grant(&h, 3, b.id, Duration::hours(1));
    let g4 = grant(&h, 4, b.id, Duration::days(1));
    for (acc, g) in [(&a, &g1), (&a, &g2), (&b, &g3), (&b, &g4)] {
        store.put_password_reset(g, &[event(acc, g)]).await.unwrap();
    }
    assert_eq!(events_named(&*store, "password_reset_requested").await.len(), 4, "events written");
    let before = store.all_events(100_000).await.unwrap().len();
    let again = PasswordReset { account_id: b.id, ..g1.clone() };
    let err = store.put_password_reset(&again, &[event(&b, &again)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "same token hash: {err:?}");
    let orphan = grant(&h, 5, AccountId::from_uuid(h.uuid()), Duration::hours(1));
    let err = store.put_password_reset(&orphan, &[event(&a, &orphan)]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "unknown account: {err:?}");
    assert_eq!(store.all_events(100_000).await.unwrap().len(), before, "no events from refusals");

    let now = h.now() + Duration::minutes(5);
    assert_eq!(store.redeem_password_reset(&token(99), "new", now).await, Ok(None), "unknown");
    assert_eq!(store.redeem_password_reset(&token(1), "$new-hash", now).await, Ok(Some(a.id)));
    let after = store.get_account(a.id).await.unwrap().unwrap();
    assert_eq!((after.password_hash.as_str(), after.version), ("$new-hash", 2), "hash set, version bumped");
    assert_eq!(store.redeem_password_reset(&token(1), "$again", now).await, Ok(None), "used");
    assert_eq!(store.redeem_password_reset(&token(2), "$again", now).await, Ok(None), "revoked");
    assert_eq!(store.get_account(a.id).await.unwrap().unwrap().password_hash, "$new-hash");
    // the other account's grants survive; an expired one is refused and deleted
    let late = h.now() + Duration::hours(1); // expires_at itself is too late
    assert_eq!(store.redeem_password_reset(&token(3), "$late", late).await, Ok(None), "expired");
    assert_eq!(store.redeem_password_reset(&token(3), "$late", now).await, Ok(None), "expired grant deleted");
    assert_eq!(store.get_account(b.id).await.unwrap(), Some(b.clone()), "untouched");
    assert_eq!(store.redeem_password_reset(&token(4), "$bob", late).await, Ok(Some(b.id)));
    assert_eq!(store.get_account(b.id).await.unwrap().unwrap().version, 2);
    // the account still updates from its new version
    let mut a2 = after.clone();
    a2.first_name = Some("Ann".into());
    assert_eq!(store.update_account(&a2, 2).await, Ok(3));
}

/// Many tasks redeeming one token at once: exactly one succeeds, and the version moves once.
pub async fn concurrent_password_reset_redemption(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let a = register(&h, "ann", "ann@example.com").await;
    store.put_password_reset(&grant(&h, 7, a.id, Duration::hours(1)), &[]).await.unwrap();
    let now = h.now();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(
                async move { store.redeem_password_reset(&token(7), &format!("$hash-{i}"), now).await },
            )
        })
        .collect();
    let mut winners = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if let Some(id) = t.await.unwrap().unwrap() {
            assert_eq!(id, a.id);
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one redemption: {winners:?}");
    let after = store.get_account(a.id).await.unwrap().unwrap();
    assert_eq!(after.version, 2, "one change");
    assert_eq!(after.password_hash, format!("$hash-{}", winners[0]), "the winner's hash");
}

/// Many tasks registering one username (in different cases) at once: exactly one succeeds, the
/// others are `Duplicate { field: "username" }` and leave no customer behind.
pub async fn concurrent_registrations(store: Arc<dyn Store>) {
    let h = Arc::new(Harness::new(store.clone()));
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let h = h.clone();
            tokio::spawn(async move {
                let name = if i % 2 == 0 { "Racer" } else { "RACER" };
                let (c, a, e) = new_account(&h, name, &format!("racer{i}@example.com"));
                let r = h.store.create_account(&c, &a, &[e]).await;
                (c, a, r)
            })
        })
        .collect();
    let mut winner = None;
    let mut losers = Vec::new();
    for t in tasks {
        let (c, a, r) = t.await.unwrap();
        match r {
            Ok(()) => {
                assert!(winner.is_none(), "two registrations of one username");
                winner = Some(a);
            }
            Err(e) => {
                assert_eq!(e, dup("username"));
                losers.push(c);
            }
        }
    }
    let winner = winner.expect("one registration succeeds");
    assert_eq!(losers.len(), 15);
    assert_eq!(store.account_by_login("racer").await.unwrap().map(|a| a.id), Some(winner.id));
    for c in &losers {
        assert_eq!(store.get_customer(c.id).await.unwrap(), None, "no orphan customer");
    }
    assert_eq!(events_named(&*store, "account_registered").await.len(), 1, "one event");
}
