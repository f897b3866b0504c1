//! Who may do what: roles and permissions. An admin has every permission.

use super::closed_set::{closed_set, ClosedSet};

closed_set! {
    /// A user's role.
    pub enum Role {
        User = "user",
        Admin = "admin",
    }
}

closed_set! {
    /// A permission a user may be granted.
    pub enum Permission {
        CatalogWrite = "catalog:write",
        OrdersManage = "orders:manage",
        AssetsWrite = "assets:write",
        UsersManage = "users:manage",
    }
}

closed_set! {
    /// What a personal API token may do: `read` (every GET its user may make), `store` (the cart
    /// and orders), `markets` (the watchlist and portfolio), or one of its user's permissions.
    pub enum Scope {
        Read = "read",
        Store = "store",
        Markets = "markets",
        CatalogWrite = "catalog:write",
        OrdersManage = "orders:manage",
        AssetsWrite = "assets:write",
        UsersManage = "users:manage",
    }
}

impl Scope {
    /// The permission a permission scope stands for.
    pub fn permission(self) -> Option<Permission> {
        Permission::parse(self.as_str())
    }

    pub fn of(permission: Permission) -> Scope {
        Scope::parse(permission.as_str()).expect("every permission is a scope")
    }

    /// Names as a client sent them → the set (at least one), or the problem naming the unknown
    /// ones.
    pub fn parse_names(names: &[String]) -> Result<Vec<Scope>, String> {
        if names.is_empty() {
            return Err(format!("must name at least one scope: {}", Scope::names()));
        }
        Scope::parse_set(names, "scope")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_lists_round_trip() {
        let list = Permission::parse_list("users:manage,catalog:write");
        assert_eq!(list, [Permission::CatalogWrite, Permission::UsersManage]);
        assert_eq!(Permission::join(&list), "catalog:write,users:manage");
        assert_eq!(Permission::parse_list(""), []);
        let names = vec!["assets:write".to_owned(), "root".to_owned()];
        assert!(Permission::parse_set(&names, "permission")
            .unwrap_err()
            .contains("unknown permission(s): root"));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::names(), "user, admin");
    }

    #[test]
    fn every_permission_is_a_scope() {
        for p in Permission::ALL {
            assert_eq!(Scope::of(*p).permission(), Some(*p));
        }
        assert_eq!(Scope::Read.permission(), None);
        let list = Scope::parse_names(&["store".into(), "read".into(), "read".into()]).unwrap();
        assert_eq!(Scope::join(&list), "read,store");
        assert_eq!(Scope::parse_list("read,store"), list);
        assert!(Scope::parse_names(&[]).is_err());
        assert!(Scope::parse_names(&["root".into()]).unwrap_err().contains("root"));
    }
}
