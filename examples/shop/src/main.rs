//! `cargo run -p commerce-shop`: the example shop on `127.0.0.1:8080` with `shop.db` (SQLite).

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    let config = match commerce_shop::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            std::process::exit(2);
        }
    };
    let admin = config.admin_email.clone();
    let shop = commerce_shop::start(config).await?;
    println!("Shop running at {}  (admin: {admin}; Ctrl-C to stop)", shop.url());
    shop.wait_for_ctrl_c().await;
    Ok(())
}
