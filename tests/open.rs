//! `commerce::open` through the facade: every scheme this build supports, and clear errors.

use commerce::{Currency, OpenError};

#[tokio::test]
async fn open_memory_and_sqlite() {
    let engine = commerce::open("memory:").await.unwrap();
    assert_eq!(engine.store().capabilities().backend, "memory");
    let cart = engine.create_cart(Currency::USD, None).await.unwrap();
    assert_eq!(engine.cart(cart.id()).await.unwrap(), cart);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shop.db").display());
    let cart_id = {
        let engine = commerce::open(&url).await.unwrap();
        assert_eq!(engine.store().capabilities().backend, "sqlite");
        engine.create_cart(Currency::KHR, None).await.unwrap().id()
    };
    // Durable: a second open of the same file sees the cart.
    let engine = commerce::open(&url).await.unwrap();
    assert_eq!(engine.cart(cart_id).await.unwrap().currency(), Currency::KHR);
}

#[tokio::test]
async fn unknown_schemes_and_missing_features_say_what_to_do() {
    let err = commerce::open("postgres://localhost/x").await.unwrap_err();
    assert!(matches!(err, OpenError::Unsupported { .. }));
    assert!(err.to_string().contains("unknown scheme"), "{err}");
    #[cfg(not(feature = "mysql"))]
    {
        let err = commerce::open("mysql://root@127.0.0.1/test").await.unwrap_err();
        assert!(err.to_string().contains("enable the `mysql` feature"), "{err}");
    }
}

/// `commerce::open("mysql://...")` against the MariaDB of `COMMERCE_TEST_MYSQL_URL`, on a fresh
/// database of its own.
#[cfg(feature = "mysql")]
#[tokio::test]
async fn open_mysql() {
    let server = std::env::var("COMMERCE_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let scratch = match commerce_mysql::ScratchDatabase::create(&server).await {
        Ok(s) => s,
        Err(e) => {
            if std::env::var("COMMERCE_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("MySQL unreachable at {server}: {e}");
            }
            println!("SKIPPED: MySQL unreachable at {server}: {e}");
            return;
        }
    };
    let engine = commerce::open(scratch.url()).await.unwrap();
    assert_eq!(engine.store().capabilities().backend, "mysql");
    let cart = engine.create_cart(Currency::USD, None).await.unwrap();
    let again = commerce::open(scratch.url()).await.unwrap();
    assert_eq!(again.cart(cart.id()).await.unwrap(), cart, "a second process-like open sees it");
}
