//! Closed sets of names, each spelled once.

/// A closed set of names (statuses, sort orders, roles, permissions): one enum whose variants
/// are the only values. `closed_set!` spells each name once and derives from it the serde and
/// OpenAPI forms, parsing, and the database encoding.
pub trait ClosedSet: Copy + Eq + Sized + 'static {
    /// Every value, in a stable order.
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == name)
    }

    /// Every name, comma-separated, for messages.
    fn names() -> String {
        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// A set as stored: comma-separated names in `ALL` order. Unknown names (none are ever
    /// written) are skipped.
    fn parse_list(stored: &str) -> Vec<Self> {
        let names: Vec<&str> = stored.split(',').collect();
        Self::ALL.iter().copied().filter(|v| names.contains(&v.as_str())).collect()
    }

    /// The stored form of a set.
    fn join(list: &[Self]) -> String {
        Self::ALL.iter().filter(|v| list.contains(v)).map(|v| v.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Names as a client sent them → the set (in `ALL` order, each once), or the problem naming
    /// the unknown ones (`noun` is what they are, e.g. `permission`).
    fn parse_set(names: &[String], noun: &str) -> Result<Vec<Self>, String> {
        let unknown: Vec<&str> =
            names.iter().map(String::as_str).filter(|n| Self::parse(n).is_none()).collect();
        if !unknown.is_empty() {
            return Err(format!("unknown {noun}(s): {}; known: {}", unknown.join(", "), Self::names()));
        }
        Ok(Self::ALL.iter().copied().filter(|v| names.iter().any(|n| n == v.as_str())).collect())
    }
}

/// Declares a closed set: `closed_set! { /// docs  pub enum Name { Variant = "name", ... } }`.
macro_rules! closed_set {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $crate::domain::closed_set::ClosedSet for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        // By hand: utoipa's derive does not see a `serde(rename)` whose value comes from a macro
        // argument, and would document the variant names instead of the names on the wire.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::domain::closed_set::ClosedSet::as_str(*self))
            }
        }

        // Stored as its name, on either engine.
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::database::HasArguments<'q>>::ArgumentBuffer,
            ) -> sqlx::encode::IsNull {
                <&'q str as sqlx::Encode<'q, DB>>::encode($crate::domain::closed_set::ClosedSet::as_str(*self), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::database::HasValueRef<'r>>::ValueRef,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let name = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                <$name as $crate::domain::closed_set::ClosedSet>::parse(name)
                    .ok_or_else(|| format!("unknown {} {name:?}", stringify!($name)).into())
            }
        }
    };
}
pub(crate) use closed_set;
