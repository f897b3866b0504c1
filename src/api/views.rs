//! The response objects that several areas return (a user, a product, an asset, a plain
//! message). An area that returns another area's object imports it from here, never from that
//! area's file.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::assets::AssetRow;
use crate::db::catalog::ProductRow;
use crate::db::users::UserRow;
use crate::domain::{Permission, Role};

/// A plain confirmation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    message: &'static str,
}

impl Message {
    pub fn new(message: &'static str) -> Message {
        Message { message }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    id: i64,
    username: Option<String>,
    email: String,
    name: String,
    /// An admin has every permission.
    role: Role,
    /// Granted permissions.
    permissions: Vec<Permission>,
    is_active: bool,
    /// A link mailed to the address was followed (or the account was made by `admin create`,
    /// or its password was reset by mail). Changing the email clears it.
    email_verified: bool,
    /// Signing in takes a code from an authenticator app (or a recovery code) too.
    two_factor_enabled: bool,
    created_at: String,
    updated_at: String,
    last_login: Option<String>,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> User {
        User {
            permissions: u.permission_list(),
            two_factor_enabled: u.two_factor(),
            id: u.id,
            username: u.username,
            email: u.email,
            name: u.name,
            role: u.role,
            is_active: u.is_active,
            email_verified: u.email_verified,
            created_at: u.created_at,
            updated_at: u.updated_at,
            last_login: u.last_login,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryRef {
    id: i64,
    name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    id: i64,
    name: String,
    description: Option<String>,
    /// Integer cents.
    price: i64,
    /// Units in stock (≥ 0).
    quantity: i64,
    /// Null when uncategorised.
    category: Option<CategoryRef>,
    /// An http(s) URL or a site-relative path.
    image_url: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<ProductRow> for Product {
    fn from(p: ProductRow) -> Product {
        let category = match (p.category_id, p.category_name) {
            (Some(id), Some(name)) => Some(CategoryRef { id, name }),
            _ => None,
        };
        Product {
            id: p.id,
            name: p.name,
            description: p.description,
            price: p.price,
            quantity: p.quantity,
            category,
            image_url: p.image_url,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Asset {
    id: i64,
    /// Uppercase, unique.
    symbol: String,
    name: String,
    /// Cents.
    price: i64,
    /// Whole currency units.
    market_cap: i64,
    /// Uppercase, e.g. `AAA`, `BB+`, `BUY`.
    rating: Option<String>,
    sector: Option<String>,
    /// When anything about the asset (including its price) last changed.
    updated_at: String,
}

impl From<AssetRow> for Asset {
    fn from(a: AssetRow) -> Asset {
        Asset {
            id: a.id,
            symbol: a.symbol,
            name: a.name,
            price: a.price,
            market_cap: a.market_cap,
            rating: a.rating,
            sector: a.sector,
            updated_at: a.updated_at,
        }
    }
}
