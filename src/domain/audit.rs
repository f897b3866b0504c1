//! The audit log's vocabulary (§11): what happened, to what kind of thing, and the before/after
//! of a change. Which requests record which action is in the handlers; how rows are stored, in
//! `db::audit`.

use serde_json::{Map, Value};

use super::closed_set::closed_set;

closed_set! {
    /// What happened. `auth.*` events are also the user's own activity.
    pub enum Action {
        Login = "auth.login",
        LoginFailed = "auth.login_failed",
        Logout = "auth.logout",
        PasswordChanged = "auth.password_changed",
        PasswordReset = "auth.password_reset",
        EmailChanged = "auth.email_changed",
        TwoFactorEnabled = "auth.2fa_enabled",
        TwoFactorDisabled = "auth.2fa_disabled",
        TokenCreated = "auth.token_created",
        TokenRevoked = "auth.token_revoked",
        UserCreated = "user.created",
        UserUpdated = "user.updated",
        UserDeleted = "user.deleted",
        ProductCreated = "catalog.product_created",
        ProductUpdated = "catalog.product_updated",
        ProductDeleted = "catalog.product_deleted",
        CategoryCreated = "catalog.category_created",
        CategoryUpdated = "catalog.category_updated",
        CategoryDeleted = "catalog.category_deleted",
        OrderPlaced = "order.placed",
        OrderStatusChanged = "order.status_changed",
        OrderCancelled = "order.cancelled",
        AssetCreated = "asset.created",
        AssetUpdated = "asset.updated",
        AssetDeleted = "asset.deleted",
        AssetPricesUpdated = "asset.prices_updated",
    }
}

closed_set! {
    /// The kind of thing an event is about.
    pub enum TargetType {
        User = "user",
        Product = "product",
        Category = "category",
        Order = "order",
        Asset = "asset",
        Session = "session",
        Token = "token",
    }
}

closed_set! {
    /// Why a sign-in failed (`auth.login_failed`'s `reason`).
    pub enum LoginFailure {
        UnknownLogin = "unknown_login",
        WrongPassword = "wrong_password",
        WrongCode = "wrong_code",
        AccountDisabled = "account_disabled",
    }
}

/// An event's `details`: a JSON object built field by field. For an update, each changed field
/// is `{field: {before, after}}` (`change`); fields that did not change are left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details(Map<String, Value>);

impl Details {
    pub fn new() -> Details {
        Details::default()
    }

    /// `key: value`, as it is.
    pub fn with(mut self, key: &str, value: impl serde::Serialize) -> Details {
        self.0.insert(key.to_owned(), serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    /// `key: {before, after}` when they differ.
    pub fn change<T: serde::Serialize + PartialEq>(self, key: &str, before: T, after: T) -> Details {
        if before == after {
            return self;
        }
        self.with(key, serde_json::json!({ "before": before, "after": after }))
    }

    /// `{field: {before, after}}` for each field of two serialized objects that differs,
    /// leaving out `skip` (bookkeeping such as `updatedAt`).
    pub fn diff(before: &impl serde::Serialize, after: &impl serde::Serialize, skip: &[&str]) -> Details {
        let (Ok(Value::Object(before)), Ok(Value::Object(mut after))) =
            (serde_json::to_value(before), serde_json::to_value(after))
        else {
            return Details::new();
        };
        let mut d = Details::new();
        for (key, old) in before {
            let new = after.remove(&key).unwrap_or(Value::Null);
            if !skip.contains(&key.as_str()) {
                d = d.change(&key, old, new);
            }
        }
        d
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// `action=` as a filter: an exact action, or (ending in `.`, such as `auth.`) the prefix of
/// some. Anything else is not an action and matches nothing, so it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFilter {
    Exactly(Action),
    Prefix(String),
}

impl ActionFilter {
    pub fn parse(raw: &str) -> Result<ActionFilter, String> {
        use super::ClosedSet;
        if let Some(action) = Action::parse(raw) {
            return Ok(ActionFilter::Exactly(action));
        }
        if raw.ends_with('.') && Action::ALL.iter().any(|a| a.as_str().starts_with(raw)) {
            return Ok(ActionFilter::Prefix(raw.to_owned()));
        }
        Err("must be an action such as `auth.login`, or a prefix ending in `.` such as `auth.`".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ClosedSet;

    #[test]
    fn only_changed_fields_are_recorded() {
        let d = Details::new().change("role", "user", "admin").change("isActive", true, true);
        assert_eq!(d.into_value(), serde_json::json!({"role": {"before": "user", "after": "admin"}}));
        assert!(Details::new().change("name", "a", "a").is_empty());
    }

    #[test]
    fn a_diff_names_each_changed_field() {
        let before = serde_json::json!({"name": "Mug", "price": 450, "updatedAt": "a", "tag": null});
        let after = serde_json::json!({"name": "Mug", "price": 500, "updatedAt": "b", "tag": "x"});
        assert_eq!(
            Details::diff(&before, &after, &["updatedAt"]).into_value(),
            serde_json::json!({"price": {"before": 450, "after": 500}, "tag": {"before": null, "after": "x"}})
        );
    }

    #[test]
    fn an_action_filter_is_an_action_or_a_known_prefix() {
        assert_eq!(ActionFilter::parse("auth.login"), Ok(ActionFilter::Exactly(Action::Login)));
        assert_eq!(ActionFilter::parse("auth."), Ok(ActionFilter::Prefix("auth.".into())));
        assert_eq!(ActionFilter::parse("catalog."), Ok(ActionFilter::Prefix("catalog.".into())));
        for bad in ["auth", "nothing.", "auth.log", "%.", ""] {
            assert!(ActionFilter::parse(bad).is_err(), "{bad}");
        }
        // Every action has a group prefix that matches it.
        for a in Action::ALL {
            let group = format!("{}.", a.as_str().split('.').next().unwrap());
            assert!(ActionFilter::parse(&group).is_ok());
        }
    }
}
