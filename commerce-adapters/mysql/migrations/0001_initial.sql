-- The commerce schema for MySQL 8 and MariaDB 10.6+ (InnoDB, utf8mb4).
--
-- Conventions (see docs/mysql.md):
-- * ids are lowercase hyphenated UUIDs in CHAR(36) ascii_bin; SKUs and coupon codes are their
--   canonical ASCII text in ascii_bin, so index order is byte order: the canonical SKU order in
--   which every transaction locks stock rows.
-- * text is utf8mb4 with the binary collation (exact, case-sensitive comparisons and byte-order
--   sorting, like the other backends); case-insensitive product search uses lower-cased copies
--   made in Rust.
-- * money is DECIMAL(19,4) plus an ISO 4217 code; never FLOAT/DOUBLE. The store refuses an amount
--   that does not fit exactly instead of letting the server round it.
-- * timestamps are fixed-width UTC text 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ' (CHAR(30) ascii_bin):
--   exact to the nanosecond (DATETIME(6) would drop the domain's nanoseconds), and text order is
--   time order, so range conditions and ORDER BY work on them.
-- * versions are the optimistic-concurrency counters of the ports; updates say
--   `WHERE id = ? AND version = ?` and always change the version column.
-- * LONGTEXT JSON documents hold only nested parts that are never queried (priced-cart snapshots,
--   addresses, payment history and refunds, product attributes and images, cart contents, the
--   pricing rules); amounts inside are strings. Not the JSON type: MySQL's rewrites documents.
-- * no foreign keys: every write path deletes and inserts child rows itself, and foreign-key
--   checks would take extra shared locks on parent rows inside the hot transactions.

CREATE TABLE categories (
    id        CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    name      TEXT NOT NULL,
    slug      TEXT NOT NULL,
    parent_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    position  BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE products (
    id                CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    name              TEXT NOT NULL,
    description       MEDIUMTEXT NOT NULL,
    name_lower        TEXT NOT NULL,
    description_lower MEDIUMTEXT NOT NULL,
    category_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    active            BOOLEAN NOT NULL,
    images            LONGTEXT NOT NULL,
    attributes        LONGTEXT NOT NULL,
    INDEX products_by_category (category_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE variants (
    sku          VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    product_id   CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    position     BIGINT NOT NULL,
    name         TEXT NOT NULL,
    options      LONGTEXT NOT NULL,
    weight_grams BIGINT NOT NULL,
    tax_class    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    active       BOOLEAN NOT NULL,
    INDEX variants_by_product (product_id, position)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE variant_prices (
    sku        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    position   BIGINT NOT NULL,
    product_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount     DECIMAL(19, 4) NOT NULL,
    currency   CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (sku, position),
    INDEX variant_prices_by_product (product_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE customers (
    id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    email      VARCHAR(320) NOT NULL,
    name       TEXT NOT NULL,
    group_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    created_at CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    UNIQUE INDEX customers_by_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE carts (
    id          CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    customer_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    currency    CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    version     BIGINT NOT NULL,
    -- per customer, increasing with every save: "the most recently saved cart of a customer"
    seq         BIGINT NOT NULL,
    body        LONGTEXT NOT NULL,
    INDEX carts_by_customer (customer_id, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE pricing_rules (
    id   TINYINT NOT NULL PRIMARY KEY,
    body LONGTEXT NOT NULL,
    CONSTRAINT pricing_rules_single CHECK (id = 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE coupon_usage (
    code VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    uses BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE coupon_customer_usage (
    code        VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    customer_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    uses        BIGINT NOT NULL,
    PRIMARY KEY (code, customer_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE checkouts (
    id          CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    cart_id     CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    customer_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    state       VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    order_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    version     BIGINT NOT NULL,
    created_at  CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    updated_at  CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    body        LONGTEXT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE stock (
    sku           VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    on_hand       BIGINT NOT NULL,
    reserved      BIGINT NOT NULL,
    backorder     BOOLEAN NOT NULL,
    low_threshold BIGINT NULL,
    CONSTRAINT stock_reserved_not_negative CHECK (reserved >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A reservation and its lines (JSON: they are only ever read whole). `active_checkout` is the
-- checkout id while the reservation is active and NULL otherwise: its unique index makes "one
-- active reservation per checkout" a constraint, and lets `reserve` find out that a checkout
-- holds one by the insert failing, instead of a read on every reservation.
CREATE TABLE reservations (
    id              CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    checkout_id     CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    active_checkout CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    expires_at      CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status          VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    stock_lines     LONGTEXT NOT NULL,
    UNIQUE INDEX reservations_active_checkout (active_checkout),
    INDEX reservations_expiring (status, expires_at, id),
    CONSTRAINT reservations_status CHECK (status IN ('active', 'committed', 'released')),
    CONSTRAINT reservations_active CHECK ((status = 'active') = (active_checkout IS NOT NULL))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE orders (
    id               CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    number           VARCHAR(64) NOT NULL,
    checkout_id      CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    customer_id      CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    email            TEXT NOT NULL,
    status           VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    total            DECIMAL(19, 4) NOT NULL,
    currency         CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    cancel_reason    TEXT NULL,
    version          BIGINT NOT NULL,
    placed_at        CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    updated_at       CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    priced           LONGTEXT NOT NULL,
    shipping_address LONGTEXT NOT NULL,
    billing_address  LONGTEXT NOT NULL,
    UNIQUE INDEX orders_by_number (number),
    INDEX orders_by_placed (placed_at, id),
    INDEX orders_by_customer (customer_id, placed_at, id),
    INDEX orders_by_status (status, placed_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE order_lines (
    order_id   CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    position   BIGINT NOT NULL,
    sku        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name       TEXT NOT NULL,
    quantity   BIGINT NOT NULL,
    fulfilled  BIGINT NOT NULL,
    unit_price DECIMAL(19, 4) NOT NULL,
    total      DECIMAL(19, 4) NOT NULL,
    currency   CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (order_id, position)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- place_order's idempotency keys. The key is inserted first in place_order: a concurrent
-- placement with the same key waits on this unique index and then gets a duplicate-key error.
-- Keys, gateway references and notification ids have no length limit: they are indexed by their
-- SHA-256 (`*_hash`, computed by the store) and compared whole.
CREATE TABLE order_keys (
    key_hash        BINARY(32) NOT NULL PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    order_id        CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    UNIQUE INDEX order_keys_by_order (order_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE payments (
    id           CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    order_id     CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    provider     VARCHAR(255) NOT NULL,
    reference    TEXT NULL,
    reference_hash BINARY(32) NULL,
    status       VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    currency     CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount       DECIMAL(19, 4) NOT NULL,
    authorized   DECIMAL(19, 4) NOT NULL,
    captured     DECIMAL(19, 4) NOT NULL,
    refunded     DECIMAL(19, 4) NOT NULL,
    action       LONGTEXT NULL,
    expires_at   CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NULL,
    late_capture BOOLEAN NOT NULL,
    version      BIGINT NOT NULL,
    created_at   CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    updated_at   CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    refunds      LONGTEXT NOT NULL,
    history      LONGTEXT NOT NULL,
    INDEX payments_by_order (order_id, created_at, id),
    INDEX payments_by_reference (provider, reference_hash),
    INDEX payments_open (provider, status, created_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE processed_notifications (
    provider        VARCHAR(255) NOT NULL,
    notification_hash BINARY(32) NOT NULL,
    notification_id TEXT NOT NULL,
    PRIMARY KEY (provider, notification_hash)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The transactional outbox. `seq` is the creation order; the event id is the natural key.
-- Claims use SELECT ... FOR UPDATE SKIP LOCKED on `outbox_pending`.
CREATE TABLE outbox (
    seq             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id        CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payload         LONGTEXT NOT NULL,
    status          VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    attempts        BIGINT NOT NULL,
    lease_owner     TEXT NULL,
    lease_until     CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NULL,
    next_attempt_at CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    last_error      TEXT NULL,
    UNIQUE INDEX outbox_by_event (event_id),
    INDEX outbox_pending (status, seq),
    CONSTRAINT outbox_status CHECK (status IN ('pending', 'delivered', 'dead'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE idempotency (
    key_hash        BINARY(32) NOT NULL PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    response        LONGTEXT NOT NULL,
    created_at      CHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
