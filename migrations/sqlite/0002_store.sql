-- Store: categories, products, the persistent cart, orders and their lines.
-- Money is integer cents; stock can never go negative (CHECK), whatever the code does.

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    description TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX categories_name ON categories (name COLLATE NOCASE);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    description TEXT,
    price       INTEGER NOT NULL CHECK (price >= 0),
    quantity    INTEGER NOT NULL CHECK (quantity >= 0),
    -- Deleting a category leaves its products uncategorised.
    category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL,
    image_url   TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
-- One index per filter and sort of GET /api/products (`newest` sorts by the rowid); the
-- category index also serves the default sort (by name) within a category.
CREATE INDEX products_category ON products (category_id, name COLLATE NOCASE);
CREATE INDEX products_name ON products (name COLLATE NOCASE);
CREATE INDEX products_price ON products (price);
CREATE INDEX products_quantity ON products (quantity);

-- One line per (user, product); deleting either removes the line.
CREATE TABLE cart_items (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, product_id)
) WITHOUT ROWID;
CREATE INDEX cart_items_product ON cart_items (product_id);

-- Orders outlive their user (user_id becomes NULL). `idempotency_key` is the client's
-- Idempotency-Key, remembered for as long as the order exists.
CREATE TABLE orders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    idempotency_key TEXT,
    total_price     INTEGER NOT NULL CHECK (total_price >= 0),
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    shipped_at      TEXT
);
CREATE UNIQUE INDEX orders_idempotency ON orders (user_id, idempotency_key);
-- GET /api/users/me/orders and ?userId= (newest first), and ?status=.
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_status ON orders (status, id);

-- Copies of each line's name and unit price at the time of the order. product_id is kept
-- (no foreign key) after the product is deleted: it is history, and ids are never reused.
CREATE TABLE order_items (
    order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL,
    name       TEXT NOT NULL,
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
); -- rowid order is the cart's order
