-- A reservation in one call (MySQL 8 and MariaDB 10.6+). `CALL commerce_reserve(...)` takes each
-- SKU's units with one conditional stock UPDATE per SKU, in the order given (the client passes
-- the canonical SKU order, duplicates merged), then inserts the reservation row and commits, all
-- on the server: one round trip, and the contended stock rows are never held while the client
-- is waited for. See commerce-adapters/mysql/src/inventory.rs.
--
-- Stock first: a sold-out attempt then writes nothing (no reservation row inserted and rolled
-- back), and the stock row is held only for the server-side insert and commit.
--
-- p_stock: '[["SKU", units], ...]', canonical order, one entry per SKU, units > 0.
-- Success commits and returns no result set. Otherwise the transaction is rolled back and one
-- row (outcome, position, available) says why:
-- * ('taken', 0, NULL): a duplicate key (the checkout already holds an active reservation, or
--   the id exists), or a SKU short while the checkout holds an active reservation whose units a
--   re-lock would give back: the client runs its general path instead;
-- * ('short', i, available): entry i is short; available = on_hand - reserved at that moment;
-- * ('unknown', i, NULL): entry i has no stock row.
-- Any other error rolls back and is raised again unchanged (deadlocks and lock wait timeouts
-- keep their codes, and the client runs the call again). No transaction is left open.
--
-- The routine runs with the sql_mode in effect when it was created: the migrating connection's
-- strict mode. SQL SECURITY INVOKER: it runs with the privileges of the store's user, which
-- needs EXECUTE on it (included in ALL on the database).
DROP PROCEDURE IF EXISTS commerce_reserve;

CREATE PROCEDURE commerce_reserve(
    IN p_id CHAR(36) CHARACTER SET ascii,
    IN p_checkout CHAR(36) CHARACTER SET ascii,
    IN p_expires CHAR(30) CHARACTER SET ascii,
    IN p_lines LONGTEXT CHARACTER SET utf8mb4,
    IN p_stock LONGTEXT CHARACTER SET utf8mb4
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
body: BEGIN
    DECLARE n BIGINT DEFAULT JSON_LENGTH(p_stock);
    DECLARE i BIGINT DEFAULT 0;
    DECLARE v_sku VARCHAR(64) CHARACTER SET ascii;
    DECLARE v_units BIGINT;
    DECLARE v_available BIGINT;
    DECLARE v_holds BOOLEAN;
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        ROLLBACK;
        SELECT 'taken' AS outcome, CAST(0 AS SIGNED) AS position, CAST(NULL AS SIGNED) AS available;
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    WHILE i < n DO
        SET v_sku = JSON_UNQUOTE(JSON_EXTRACT(p_stock, CONCAT('$[', i, '][0]')));
        SET v_units = JSON_EXTRACT(p_stock, CONCAT('$[', i, '][1]'));
        UPDATE stock SET reserved = reserved + v_units
            WHERE sku = v_sku COLLATE ascii_bin AND (backorder OR on_hand - reserved >= v_units);
        IF ROW_COUNT() = 0 THEN
            SET v_available = (SELECT on_hand - reserved FROM stock WHERE sku = v_sku COLLATE ascii_bin);
            SET v_holds = EXISTS (SELECT 1 FROM reservations WHERE active_checkout = p_checkout COLLATE ascii_bin);
            ROLLBACK;
            IF v_holds THEN
                SELECT 'taken' AS outcome, CAST(0 AS SIGNED) AS position, CAST(NULL AS SIGNED) AS available;
            ELSE
                SELECT IF(v_available IS NULL, 'unknown', 'short') AS outcome, i AS position,
                    v_available AS available;
            END IF;
            LEAVE body;
        END IF;
        SET i = i + 1;
    END WHILE;
    INSERT INTO reservations (id, checkout_id, active_checkout, expires_at, status, stock_lines)
        VALUES (p_id, p_checkout, p_checkout, p_expires, 'active', p_lines);
    COMMIT;
END;
