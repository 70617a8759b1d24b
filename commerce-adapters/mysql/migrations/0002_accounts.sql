-- Accounts, password-reset grants and shopper activity (the account and activity ports).
--
-- * usernames are stored lower-cased (the domain's `Username` is); `email_lower` is the email
--   lower-cased in Rust (Unicode-aware, the same key as the other backends). Both carry unique
--   indexes: usernames and emails are unique across accounts, case-insensitively. The store maps
--   a duplicate key on them to `StoreError::Duplicate` by the index name, so keep the names.
-- * reset grants are keyed by the SHA-256 hex of the token; the token itself is never stored.
-- * activity is append-only; `seq` orders records of the same instant.

CREATE TABLE accounts (
    id            CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    customer_id   CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    username      VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email         VARCHAR(320) NOT NULL,
    email_lower   VARCHAR(320) NOT NULL,
    password_hash TEXT NOT NULL,
    role          VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    first_name    TEXT NULL,
    last_name     TEXT NULL,
    version       BIGINT NOT NULL,
    created_at    CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    updated_at    CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    UNIQUE INDEX accounts_by_customer (customer_id),
    UNIQUE INDEX accounts_by_username (username),
    UNIQUE INDEX accounts_by_email (email_lower),
    CONSTRAINT accounts_role CHECK (role IN ('customer', 'admin'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE password_resets (
    token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    account_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    expires_at CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    INDEX password_resets_by_account (account_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE activity (
    seq         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    subject_key VARCHAR(255) NOT NULL,
    kind        VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    product_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    search_query TEXT NULL,
    at          CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    INDEX activity_by_subject (subject_key, kind, at),
    CONSTRAINT activity_kind CHECK (kind IN ('product_viewed', 'searched')),
    CONSTRAINT activity_product CHECK ((kind = 'product_viewed') = (product_id IS NOT NULL)),
    CONSTRAINT activity_search_query CHECK ((kind = 'searched') = (search_query IS NOT NULL))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- "Customers also bought" starts from the order lines of one product's SKUs.
CREATE INDEX order_lines_by_sku ON order_lines (sku, order_id);
