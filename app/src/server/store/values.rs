//! What a statement binds to its placeholders: a [`Value`] of one of the kinds both databases
//! store, and [`Bind`], what turns the store's types (typed ids, text, integers, booleans, timestamps,
//! bytes, and an `Option` of any of them) into one.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::TypedId;

/// A value bound to a placeholder. Each kind carries its own null, so PostgreSQL learns the type of
/// a null parameter too.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value<'q> {
    Uuid(Option<Uuid>),
    Text(Option<Cow<'q, str>>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Bytes(Option<Cow<'q, [u8]>>),
}

/// What can be bound to a placeholder.
pub(super) trait Bind<'q> {
    fn value(self) -> Value<'q>;
    /// The null of this type.
    fn null() -> Value<'q>;
}

impl<'q, T: Bind<'q>> Bind<'q> for Option<T> {
    fn value(self) -> Value<'q> {
        self.map_or_else(T::null, Bind::value)
    }

    fn null() -> Value<'q> {
        T::null()
    }
}

impl<'q, T: TypedId> Bind<'q> for T {
    fn value(self) -> Value<'q> {
        Value::Uuid(Some(self.uuid()))
    }

    fn null() -> Value<'q> {
        Value::Uuid(None)
    }
}

impl<'q> Bind<'q> for Uuid {
    fn value(self) -> Value<'q> {
        Value::Uuid(Some(self))
    }

    fn null() -> Value<'q> {
        Value::Uuid(None)
    }
}

impl<'q> Bind<'q> for &'q str {
    fn value(self) -> Value<'q> {
        Value::Text(Some(Cow::Borrowed(self)))
    }

    fn null() -> Value<'q> {
        Value::Text(None)
    }
}

impl<'q> Bind<'q> for &'q String {
    fn value(self) -> Value<'q> {
        Value::Text(Some(Cow::Borrowed(self)))
    }

    fn null() -> Value<'q> {
        Value::Text(None)
    }
}

impl<'q> Bind<'q> for String {
    fn value(self) -> Value<'q> {
        Value::Text(Some(Cow::Owned(self)))
    }

    fn null() -> Value<'q> {
        Value::Text(None)
    }
}

impl<'q> Bind<'q> for &'q Option<String> {
    fn value(self) -> Value<'q> {
        Value::Text(self.as_deref().map(Cow::Borrowed))
    }

    fn null() -> Value<'q> {
        Value::Text(None)
    }
}

impl<'q> Bind<'q> for i64 {
    fn value(self) -> Value<'q> {
        Value::Int(Some(self))
    }

    fn null() -> Value<'q> {
        Value::Int(None)
    }
}

impl<'q> Bind<'q> for bool {
    fn value(self) -> Value<'q> {
        Value::Bool(Some(self))
    }

    fn null() -> Value<'q> {
        Value::Bool(None)
    }
}

impl<'q> Bind<'q> for DateTime<Utc> {
    fn value(self) -> Value<'q> {
        Value::Time(Some(self))
    }

    fn null() -> Value<'q> {
        Value::Time(None)
    }
}

impl<'q> Bind<'q> for &'q [u8] {
    fn value(self) -> Value<'q> {
        Value::Bytes(Some(Cow::Borrowed(self)))
    }

    fn null() -> Value<'q> {
        Value::Bytes(None)
    }
}

impl<'q> Bind<'q> for &'q Vec<u8> {
    fn value(self) -> Value<'q> {
        Value::Bytes(Some(Cow::Borrowed(self)))
    }

    fn null() -> Value<'q> {
        Value::Bytes(None)
    }
}

impl<'q> Bind<'q> for Vec<u8> {
    fn value(self) -> Value<'q> {
        Value::Bytes(Some(Cow::Owned(self)))
    }

    fn null() -> Value<'q> {
        Value::Bytes(None)
    }
}
