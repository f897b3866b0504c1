-- Markets as a ledger (§12). A holding becomes the identity of one user's position in one asset;
-- its quantity, cost basis, realized profit and dividends are derived at read time from its
-- transactions. Each holding held so far becomes one buy with the exact same cost basis: the unit
-- price is cost_basis / quantity and the remainder its fee.
-- The rebuilt holdings table first, so that `transactions` never references the old one: with
-- foreign keys on, dropping a referenced table would first delete its rows, cascading.
CREATE TABLE holdings_ledger (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    asset_id   INTEGER NOT NULL REFERENCES assets (id) ON DELETE RESTRICT,
    created_at TEXT NOT NULL
);
INSERT INTO holdings_ledger (id, user_id, asset_id, created_at) SELECT id, user_id, asset_id, created_at FROM holdings;

CREATE TABLE transactions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    holding_id INTEGER NOT NULL REFERENCES holdings_ledger (id) ON DELETE CASCADE,
    type       TEXT NOT NULL CHECK (type IN ('buy', 'sell', 'dividend', 'fee')),
    quantity   INTEGER CHECK (quantity > 0),      -- buy, sell: units
    price      INTEGER CHECK (price >= 0),        -- buy, sell: cents per unit
    fee        INTEGER CHECK (fee >= 0),          -- buy, sell: cents
    amount     INTEGER CHECK (amount > 0),        -- dividend, fee: cents
    at         TEXT NOT NULL,                     -- when it happened (RFC 3339, UTC, ms)
    note       TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO transactions (holding_id, type, quantity, price, fee, at, created_at)
SELECT id, 'buy', quantity, cost_basis / quantity, cost_basis % quantity, created_at, created_at FROM holdings;

DROP TABLE holdings;
-- The rename also renames the reference in `transactions`.
ALTER TABLE holdings_ledger RENAME TO holdings;
CREATE UNIQUE INDEX holdings_user_asset ON holdings (user_id, asset_id);
CREATE INDEX holdings_asset ON holdings (asset_id);
CREATE INDEX transactions_holding ON transactions (holding_id, at, id);

-- Every price an asset has had, from now on (and its current one, as of its last change).
CREATE TABLE price_history (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    price    INTEGER NOT NULL CHECK (price >= 0)
);
CREATE INDEX price_history_asset ON price_history (asset_id, at, id);
INSERT INTO price_history (asset_id, at, price) SELECT id, updated_at, price FROM assets;

-- Every price change is recorded by the database itself, whichever statement makes it, in the
-- same transaction, at the asset's `updated_at`.
CREATE TRIGGER assets_price_created AFTER INSERT ON assets
BEGIN
    INSERT INTO price_history (asset_id, at, price) VALUES (NEW.id, NEW.updated_at, NEW.price);
END;
CREATE TRIGGER assets_price_changed AFTER UPDATE OF price ON assets WHEN NEW.price <> OLD.price
BEGIN
    INSERT INTO price_history (asset_id, at, price) VALUES (NEW.id, NEW.updated_at, NEW.price);
END;

-- Bumped in every transaction that changes a user's ledger, so a reader can tell whether the
-- transactions it replayed before are still the ones there (see `cache::Ledgers`).
CREATE TABLE ledger_versions (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    version INTEGER NOT NULL
);
