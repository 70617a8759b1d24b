-- Accounts, password-reset grants and shopper activity (the account and activity ports).
--
-- * usernames are stored lower-cased (the domain's `Username` is); `email_lower` is the email
--   lower-cased in Rust (Unicode-aware, like `products.name_lower`). Both carry unique indexes:
--   usernames and emails are unique across accounts, case-insensitively.
-- * reset grants are keyed by the SHA-256 hex of the token; the token itself is never stored.
-- * activity is append-only; `seq` (the rowid) orders records of the same instant.

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY NOT NULL,
    customer_id   TEXT NOT NULL UNIQUE REFERENCES customers (id),
    username      TEXT NOT NULL,
    email         TEXT NOT NULL,
    email_lower   TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
    first_name    TEXT,
    last_name     TEXT,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX accounts_by_username ON accounts (username);
CREATE UNIQUE INDEX accounts_by_email ON accounts (email_lower);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX password_resets_by_account ON password_resets (account_id);

CREATE TABLE activity (
    seq         INTEGER PRIMARY KEY,
    subject_key TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('product_viewed', 'searched')),
    product_id  TEXT,
    query       TEXT,
    at          TEXT NOT NULL,
    CHECK ((kind = 'product_viewed') = (product_id IS NOT NULL)),
    CHECK ((kind = 'searched') = (query IS NOT NULL))
) STRICT;
CREATE INDEX activity_by_subject ON activity (subject_key, kind, at);

-- "Customers also bought" starts from the order lines of one product's SKUs.
CREATE INDEX order_lines_by_sku ON order_lines (sku, order_id);
