-- Markets: assets (the screener), each user's watchlist and holdings.
-- Money is integer cents; market caps are whole currency units. Holdings block the deletion of
-- their asset (the API answers 409 `asset_in_use`); watchlist rows go with the asset; both go
-- with the user.

CREATE TABLE assets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol      TEXT NOT NULL,              -- uppercase, 1-10 of A-Z 0-9 . -
    name        TEXT NOT NULL,
    price       INTEGER NOT NULL CHECK (price >= 0),
    market_cap  INTEGER NOT NULL CHECK (market_cap >= 0),
    rating      TEXT,                       -- uppercase, <= 5 chars
    rating_rank INTEGER NOT NULL,           -- sort order of `rating` (AAA first), set by the app
    sector      TEXT,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX assets_symbol ON assets (symbol);
-- One index per screener filter and sort, with the symbol tie-break (q is a substring search and
-- scans; assets_symbol serves sort=symbol).
CREATE INDEX assets_price ON assets (price, symbol);
CREATE INDEX assets_market_cap ON assets (market_cap, symbol);
CREATE INDEX assets_rating ON assets (rating_rank, rating, symbol);
CREATE INDEX assets_rating_value ON assets (rating);
CREATE INDEX assets_sector ON assets (sector COLLATE NOCASE);

CREATE TABLE holdings (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    asset_id   INTEGER NOT NULL REFERENCES assets (id) ON DELETE RESTRICT,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    cost_basis INTEGER NOT NULL CHECK (cost_basis >= 0), -- total paid, cents
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX holdings_user_asset ON holdings (user_id, asset_id);
CREATE INDEX holdings_asset ON holdings (asset_id);

CREATE TABLE watchlist (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (user_id, asset_id)
);
CREATE INDEX watchlist_asset ON watchlist (asset_id);
