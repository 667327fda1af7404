//! What can go wrong below the services, classified once: a unique index that refused a write is
//! named by a [`Constraint`], whichever database reported it and however it words the report.

/// A unique index of the schema that refused a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    OrganizationSlug,
    CustomerEmail,
    CustomerExternalId,
    MemberEmail,
    MemberExternalId,
    /// A customer has exactly one live owner member.
    MemberOwner,
    /// An email or a member already holds an active seat in the pool.
    SeatHolder,
    /// Any other unique index: as the database named it.
    Other(String),
}

/// Each constraint: its PostgreSQL index name and the columns SQLite names in its message.
const CONSTRAINTS: &[(&str, &str, Constraint)] = &[
    (
        "organizations_slug_key",
        "organizations.slug",
        Constraint::OrganizationSlug,
    ),
    (
        "customers_email_key",
        "customers.organization_id, customers.email",
        Constraint::CustomerEmail,
    ),
    (
        "customers_external_id_key",
        "customers.organization_id, customers.external_id",
        Constraint::CustomerExternalId,
    ),
    (
        "members_email_key",
        "members.customer_id, members.email",
        Constraint::MemberEmail,
    ),
    (
        "members_external_id_key",
        "members.customer_id, members.external_id",
        Constraint::MemberExternalId,
    ),
    (
        "members_one_owner_key",
        "members.customer_id",
        Constraint::MemberOwner,
    ),
    (
        "customer_seats_subscription_email_key",
        "customer_seats.subscription_id, customer_seats.email",
        Constraint::SeatHolder,
    ),
    (
        "customer_seats_order_email_key",
        "customer_seats.order_id, customer_seats.email",
        Constraint::SeatHolder,
    ),
    (
        "customer_seats_subscription_member_key",
        "customer_seats.subscription_id, customer_seats.member_id",
        Constraint::SeatHolder,
    ),
    (
        "customer_seats_order_member_key",
        "customer_seats.order_id, customer_seats.member_id",
        Constraint::SeatHolder,
    ),
];

impl Constraint {
    /// The constraint a unique violation names: PostgreSQL gives the index name, SQLite a message
    /// `UNIQUE constraint failed: table.column, ...`.
    fn of(db: &dyn sqlx::error::DatabaseError) -> Self {
        if let Some(name) = db.constraint() {
            return CONSTRAINTS
                .iter()
                .find(|(index, _, _)| *index == name)
                .map_or_else(|| Self::Other(name.to_owned()), |(_, _, c)| c.clone());
        }
        let message = db.message();
        let columns = message
            .strip_prefix("UNIQUE constraint failed: ")
            .unwrap_or(message);
        CONSTRAINTS
            .iter()
            .find(|(_, sqlite, _)| *sqlite == columns)
            .map_or_else(|| Self::Other(columns.to_owned()), |(_, _, c)| c.clone())
    }

    /// Whether the index belongs to the members table (another request created the member).
    pub const fn is_member(&self) -> bool {
        matches!(
            self,
            Self::MemberEmail | Self::MemberExternalId | Self::MemberOwner
        )
    }
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Other(name) => f.write_str(name),
            known => write!(f, "{known:?}"),
        }
    }
}

/// What can go wrong below the services.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write.
    #[error("conflict on {constraint}")]
    Conflict { constraint: Constraint },
    /// The pool has no free seat (the capacity counter refused the assignment).
    #[error("no seat available in the pool")]
    NoCapacity,
    /// A conditional write found its row no longer in the state it expected (another request or
    /// process moved it first); nothing was written.
    #[error("stale write: {0}")]
    Stale(&'static str),
    /// A stored value no longer parses (e.g. a slug edited by hand).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A text the request gave holds what PostgreSQL cannot store in text: the NUL character
    /// (`\u0000`, SQLSTATE 22021 or 22P05). The client's mistake, never the server's: the
    /// statement (and its transaction) wrote nothing.
    #[error("text with a NUL character")]
    NulInText,
    #[error(transparent)]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict {
                constraint: Constraint::of(db.as_ref()),
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable(err)
            }
            // PostgreSQL chose this transaction to end a deadlock (two writers taking the same rows
            // in opposite orders, e.g. a customer's deletion against a revocation) or could not
            // serialize it: it rolled back, wrote nothing, and is safe to retry (503, Retry-After).
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
            {
                Self::Unavailable(err)
            }
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("22021" | "22P05")) =>
            {
                Self::NulInText
            }
            _ => Self::Database(err),
        }
    }
}

/// A conversion that cannot fail (a record decoded as itself).
impl From<std::convert::Infallible> for StoreError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

#[cfg(test)]
mod tests {
    use std::{borrow::Cow, error::Error};

    use super::*;

    /// A database error with SQLSTATE `code`, as a driver reports one.
    #[derive(Debug)]
    struct Reported(&'static str);

    impl std::fmt::Display for Reported {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl Error for Reported {}

    impl sqlx::error::DatabaseError for Reported {
        fn message(&self) -> &str {
            "reported"
        }

        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }

        fn as_error(&self) -> &(dyn Error + Send + Sync + 'static) {
            self
        }

        fn as_error_mut(&mut self) -> &mut (dyn Error + Send + Sync + 'static) {
            self
        }

        fn into_error(self: Box<Self>) -> Box<dyn Error + Send + Sync + 'static> {
            self
        }

        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn from_code(code: &'static str) -> StoreError {
        StoreError::from(sqlx::Error::Database(Box::new(Reported(code))))
    }

    #[test]
    fn a_deadlock_or_a_serialization_failure_is_unavailable_for_a_moment_not_an_internal_error() {
        assert!(matches!(from_code("40P01"), StoreError::Unavailable(_)));
        assert!(matches!(from_code("40001"), StoreError::Unavailable(_)));
        assert!(matches!(from_code("22P05"), StoreError::NulInText));
        assert!(matches!(from_code("42P01"), StoreError::Database(_)));
    }
}
