-- The commerce schema for SQLite.
--
-- Conventions (docs in commerce-storage/src/sqlite/mod.rs):
-- * ids are lowercase hyphenated UUID text; SKUs and coupon codes are their canonical text.
-- * timestamps are UTC text 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ' (fixed width, so text order is
--   time order).
-- * money is exact decimal text (rust_decimal's own rendering, scale kept) plus a currency code;
--   never REAL.
-- * versions are the optimistic-concurrency counters of the ports; updates say
--   `WHERE id = ? AND version = ?`.
-- * JSON text holds only nested parts that are never queried (the priced-cart snapshot,
--   addresses, payment history and refunds, product attributes and images); amounts inside are
--   strings.

CREATE TABLE categories (
    id        TEXT PRIMARY KEY NOT NULL,
    name      TEXT NOT NULL,
    slug      TEXT NOT NULL,
    parent_id TEXT,
    position  INTEGER NOT NULL
) STRICT;

CREATE TABLE products (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    -- lower-cased copies for case-insensitive text search (Unicode-aware, done in Rust)
    name_lower        TEXT NOT NULL,
    description_lower TEXT NOT NULL,
    category_id       TEXT,
    active            INTEGER NOT NULL CHECK (active IN (0, 1)),
    images            TEXT NOT NULL,  -- JSON array
    attributes        TEXT NOT NULL   -- JSON object
) STRICT;
CREATE INDEX products_by_name ON products (name, id);
CREATE INDEX products_by_category ON products (category_id, name, id);

CREATE TABLE variants (
    sku          TEXT PRIMARY KEY NOT NULL,
    product_id   TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    options      TEXT NOT NULL,  -- JSON object
    weight_grams INTEGER NOT NULL,
    tax_class    TEXT NOT NULL,
    active       INTEGER NOT NULL CHECK (active IN (0, 1))
) STRICT;
CREATE INDEX variants_by_product ON variants (product_id, position);

CREATE TABLE variant_prices (
    sku      TEXT NOT NULL REFERENCES variants (sku) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    amount   TEXT NOT NULL,
    currency TEXT NOT NULL,
    PRIMARY KEY (sku, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE customers (
    id         TEXT PRIMARY KEY NOT NULL,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    group_id   TEXT,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE carts (
    id          TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT,
    currency    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    -- save order: "the most recently saved cart of a customer" is the highest seq
    seq         INTEGER NOT NULL,
    body        TEXT NOT NULL  -- JSON: the cart (lines, coupons, policy)
) STRICT;
CREATE INDEX carts_by_customer ON carts (customer_id, seq);
CREATE INDEX carts_by_seq ON carts (seq);

CREATE TABLE pricing_rules (
    id   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    body TEXT NOT NULL  -- JSON: price lists, promotions, tax rules, shipping methods
) STRICT;

CREATE TABLE coupon_usage (
    code TEXT PRIMARY KEY NOT NULL,
    uses INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE coupon_customer_usage (
    code        TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    uses        INTEGER NOT NULL,
    PRIMARY KEY (code, customer_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkouts (
    id          TEXT PRIMARY KEY NOT NULL,
    cart_id     TEXT NOT NULL,
    customer_id TEXT,
    state       TEXT NOT NULL,
    order_id    TEXT,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    body        TEXT NOT NULL  -- JSON: the checkout (addresses, quote with its priced cart)
) STRICT;

CREATE TABLE stock (
    sku           TEXT PRIMARY KEY NOT NULL,
    on_hand       INTEGER NOT NULL,
    reserved      INTEGER NOT NULL CHECK (reserved >= 0),
    backorder     INTEGER NOT NULL CHECK (backorder IN (0, 1)),
    low_threshold INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE reservations (
    id          TEXT PRIMARY KEY NOT NULL,
    checkout_id TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'committed', 'released'))
) STRICT;
CREATE INDEX reservations_by_checkout ON reservations (checkout_id) WHERE status = 'active';
CREATE INDEX reservations_expiring ON reservations (expires_at, id) WHERE status = 'active';

CREATE TABLE reservation_lines (
    reservation_id TEXT NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    sku            TEXT NOT NULL,
    quantity       INTEGER NOT NULL,
    PRIMARY KEY (reservation_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE orders (
    id               TEXT PRIMARY KEY NOT NULL,
    number           TEXT NOT NULL UNIQUE,
    checkout_id      TEXT NOT NULL,
    customer_id      TEXT,
    email            TEXT NOT NULL,
    status           TEXT NOT NULL,
    total            TEXT NOT NULL,  -- grand total, exact decimal text
    currency         TEXT NOT NULL,
    cancel_reason    TEXT,
    version          INTEGER NOT NULL,
    placed_at        TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    priced           TEXT NOT NULL,  -- JSON: the priced cart at the moment of sale
    shipping_address TEXT NOT NULL,  -- JSON
    billing_address  TEXT NOT NULL   -- JSON
) STRICT;
CREATE INDEX orders_by_placed ON orders (placed_at, id);
CREATE INDEX orders_by_customer ON orders (customer_id, placed_at, id);
CREATE INDEX orders_by_status ON orders (status, placed_at, id);

CREATE TABLE order_lines (
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    quantity   INTEGER NOT NULL,
    fulfilled  INTEGER NOT NULL,
    unit_price TEXT NOT NULL,
    total      TEXT NOT NULL,
    currency   TEXT NOT NULL,
    PRIMARY KEY (order_id, position)
) STRICT, WITHOUT ROWID;

-- place_order's idempotency keys. place_order claims the key first (before the order row
-- exists), hence the deferred foreign key: it is checked at COMMIT.
CREATE TABLE order_keys (
    key         TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    order_id    TEXT NOT NULL UNIQUE REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED
) STRICT, WITHOUT ROWID;

CREATE TABLE payments (
    id           TEXT PRIMARY KEY NOT NULL,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    provider     TEXT NOT NULL,
    reference    TEXT,
    status       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       TEXT NOT NULL,
    authorized   TEXT NOT NULL,
    captured     TEXT NOT NULL,
    refunded     TEXT NOT NULL,
    action       TEXT,           -- JSON
    expires_at   TEXT,
    late_capture INTEGER NOT NULL CHECK (late_capture IN (0, 1)),
    version      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    refunds      TEXT NOT NULL,  -- JSON array
    history      TEXT NOT NULL   -- JSON array
) STRICT;
CREATE INDEX payments_by_order ON payments (order_id, created_at, id);
CREATE INDEX payments_by_reference ON payments (provider, reference);
CREATE INDEX payments_open ON payments (provider, created_at, id)
    WHERE status IN ('pending', 'requires_action');

CREATE TABLE processed_notifications (
    provider        TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    PRIMARY KEY (provider, notification_id)
) STRICT, WITHOUT ROWID;

-- The transactional outbox. `seq` (the rowid) is the creation order: a new row always gets a
-- rowid above every existing one. The event id is the natural key.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,  -- JSON: the event
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox (seq) WHERE status = 'pending';
CREATE INDEX outbox_dead ON outbox (seq) WHERE status = 'dead';

CREATE TABLE idempotency (
    key         TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    response    TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
