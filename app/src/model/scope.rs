//! Access-token scopes, spelled as on the wire (`customer_seats:write`). A token carries a set of
//! them; every merchant endpoint names the scopes that let a caller in.

use std::{collections::BTreeSet, fmt, str::FromStr};

use serde::{Deserialize, Serialize};

macro_rules! scopes {
    ($($variant:ident => $wire:literal),+ $(,)?) => {
        /// One permission of an organization access token.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Scope {
            $(#[serde(rename = $wire)] $variant,)+
        }

        impl Scope {
            /// Every scope, in wire order.
            pub const ALL: &'static [Scope] = &[$(Scope::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Scope::$variant => $wire,)+
                }
            }
        }

        impl FromStr for Scope {
            type Err = UnknownScope;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok(Scope::$variant),)+
                    other => Err(UnknownScope(other.to_owned())),
                }
            }
        }
    };
}

scopes! {
    OrganizationsRead => "organizations:read",
    OrganizationsWrite => "organizations:write",
    CustomerSeatsRead => "customer_seats:read",
    CustomerSeatsWrite => "customer_seats:write",
    ProductsRead => "products:read",
    ProductsWrite => "products:write",
    CustomersRead => "customers:read",
    CustomersWrite => "customers:write",
    CheckoutsRead => "checkouts:read",
    CheckoutsWrite => "checkouts:write",
    SubscriptionsRead => "subscriptions:read",
    SubscriptionsWrite => "subscriptions:write",
    OrdersRead => "orders:read",
    RefundsRead => "refunds:read",
    RefundsWrite => "refunds:write",
    BenefitsRead => "benefits:read",
    BenefitsWrite => "benefits:write",
    LicenseKeysRead => "license_keys:read",
    LicenseKeysWrite => "license_keys:write",
    WebhooksRead => "webhooks:read",
    WebhooksWrite => "webhooks:write",
    CustomerSessionsWrite => "customer_sessions:write",
}

/// A scope name that Seatkeeper does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scopes of one token. Stored as one space-separated string (the OAuth convention).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    pub fn all() -> Self {
        Self(Scope::ALL.iter().copied().collect())
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// True when the token has at least one of `accepted`.
    pub fn contains_any(&self, accepted: &[Scope]) -> bool {
        accepted.iter().any(|s| self.contains(*s))
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for Scopes {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split_whitespace().map(Scope::from_str).collect()
    }
}

impl TryFrom<String> for Scopes {
    type Error = UnknownScope;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        stored.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_stored_form() {
        let all = Scopes::all();
        assert_eq!(all.to_string().parse::<Scopes>(), Ok(all));
    }

    #[test]
    fn an_unknown_scope_is_named_in_the_error() {
        assert_eq!(
            "products:read nope".parse::<Scopes>(),
            Err(UnknownScope("nope".into()))
        );
    }

    #[test]
    fn contains_any_accepts_either_of_two_scopes() {
        let scopes: Scopes = [Scope::OrganizationsWrite].into_iter().collect();
        assert!(scopes.contains_any(&[Scope::OrganizationsRead, Scope::OrganizationsWrite]));
        assert!(!scopes.contains_any(&[Scope::ProductsRead]));
    }
}
