//! The values that cross the narrow interface between the store's logic and a database driver: parameters going in
//! and rows coming out, in the five types the schema uses (integers, booleans, text, bytes and NULL), and how the
//! domain's types become and come back from them.

use std::borrow::Cow;

use trent_domain::{
    AccountId, AliasName, KeyId, KeyManager, KeySpec, KeyUsage, MultiRegionKeyType, Origin, Region, RetirementStep,
    Timestamp,
};

use crate::StoreError;

/// A statement parameter, borrowed from the record it comes from where it can be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(Cow<'a, str>),
    Blob(&'a [u8]),
}

/// A column value as a driver read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A boolean (PostgreSQL's; SQLite's are integers).
    Bool(bool),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl<'a> From<&'a Value> for Param<'a> {
    fn from(value: &'a Value) -> Self {
        match value {
            Value::Null => Param::Null,
            Value::Int(v) => Param::Int(*v),
            Value::Bool(v) => Param::Bool(*v),
            Value::Text(v) => Param::Text(Cow::Borrowed(v)),
            Value::Blob(v) => Param::Blob(v),
        }
    }
}

/// An array of parameters from values, each converted with `Param::from`.
macro_rules! params {
    ($($value:expr),* $(,)?) => { [$($crate::value::Param::from($value)),*] };
}
pub(crate) use params;

/// A Rust type a column can be read as.
pub(crate) trait FromValue: Sized {
    /// The value as this type, or `None` if the column holds another type or an invalid value.
    fn from_value(value: Value) -> Option<Self>;
}

/// `From` for `Param` and `FromValue` for types stored as one column: `$param` makes the parameter from `v` (an
/// `&'a Self`), `$value` reads `Self` from the column's value `v` (a [`Value`]).
macro_rules! column_type {
    ($($type:ty: |$v:ident| $param:expr, |$w:ident| $value:expr;)+) => {$(
        impl<'a> From<&'a $type> for Param<'a> {
            fn from($v: &'a $type) -> Self {
                $param
            }
        }
        impl<'a> From<&'a Option<$type>> for Param<'a> {
            fn from(value: &'a Option<$type>) -> Self {
                value.as_ref().map_or(Param::Null, Param::from)
            }
        }
        impl FromValue for $type {
            fn from_value($w: Value) -> Option<Self> {
                $value
            }
        }
    )+};
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::Text(v) => Some(v),
        _ => None,
    }
}

column_type! {
    i64: |v| Param::Int(*v), |v| if let Value::Int(v) = v { Some(v) } else { None };
    // SQLite keeps booleans as the integers 0 and 1.
    bool: |v| Param::Bool(*v), |v| match v { Value::Bool(v) => Some(v), Value::Int(v) => Some(v != 0), _ => None };
    String: |v| Param::Text(Cow::Borrowed(v)), |v| text(v);
    Vec<u8>: |v| Param::Blob(v), |v| if let Value::Blob(v) = v { Some(v) } else { None };
    Timestamp: |v| Param::Int(v.0), |v| i64::from_value(v).map(Timestamp);
    KeyId: |v| Param::Text(Cow::Owned(v.to_string())), |v| KeyId::parse(&text(v)?);
    AccountId: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| AccountId::parse(&text(v)?);
    Region: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| Region::parse(&text(v)?);
    AliasName: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| AliasName::parse(&text(v)?).ok();
    KeySpec: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| KeySpec::parse(&text(v)?);
    KeyUsage: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| KeyUsage::parse(&text(v)?);
    Origin: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| Origin::parse(&text(v)?);
    MultiRegionKeyType: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| MultiRegionKeyType::parse(&text(v)?);
    KeyManager: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| KeyManager::parse(&text(v)?);
    RetirementStep: |v| Param::Text(Cow::Borrowed(v.as_str())), |v| RetirementStep::parse(&text(v)?);
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Int(value)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(Cow::Borrowed(value))
    }
}

impl From<String> for Param<'_> {
    fn from(value: String) -> Self {
        Param::Text(Cow::Owned(value))
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(value: Option<&'a str>) -> Self {
        value.map_or(Param::Null, Into::into)
    }
}

/// One result row, read column by column in the order the statement selected them.
#[derive(Debug)]
pub(crate) struct Row(std::vec::IntoIter<Value>);

impl Row {
    pub(crate) fn new(values: Vec<Value>) -> Self {
        Self(values.into_iter())
    }

    /// The columns not yet read, in order.
    pub(crate) fn values(self) -> Vec<Value> {
        self.0.collect()
    }

    /// The next column, named `name` (for the error), as `T`; `Corrupt` if it holds another type or an invalid
    /// value, or the row has no more columns.
    pub(crate) fn column<T: FromValue>(&mut self, name: &str) -> Result<T, StoreError> {
        self.0.next().and_then(T::from_value).ok_or_else(|| StoreError::Corrupt(name.to_owned()))
    }
}

/// A record read from a row.
pub(crate) trait FromRow: Sized {
    fn from_row(row: &mut Row) -> Result<Self, StoreError>;
}

/// A record written as statement parameters.
pub(crate) trait ToParams {
    fn to_params(&self) -> Result<Vec<Param<'_>>, StoreError>;
}

impl<T: FromValue> FromRow for T {
    fn from_row(row: &mut Row) -> Result<Self, StoreError> {
        row.column("value")
    }
}

impl<A: FromRow, B: FromRow> FromRow for (A, B) {
    fn from_row(row: &mut Row) -> Result<Self, StoreError> {
        Ok((A::from_row(row)?, B::from_row(row)?))
    }
}

/// `FromRow` and `ToParams` for a record stored as its fields, one column each, in the order listed (which is the
/// order of the statements' columns and parameters).
macro_rules! record {
    ($($type:ident { $($field:ident),+ $(,)? })+) => {$(
        impl $crate::value::FromRow for $type {
            fn from_row(row: &mut $crate::value::Row) -> Result<Self, $crate::StoreError> {
                Ok($type { $($field: row.column(concat!(stringify!($type), ".", stringify!($field)))?),+ })
            }
        }
        impl $crate::value::ToParams for $type {
            fn to_params(&self) -> Result<Vec<$crate::value::Param<'_>>, $crate::StoreError> {
                Ok(Vec::from($crate::value::params![$(&self.$field),+]))
            }
        }
    )+};
}
pub(crate) use record;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_read_in_order_and_a_wrong_type_is_corrupt() {
        let mut row = Row::new(vec![Value::Int(7), Value::Null, Value::Int(1), Value::Text("x".to_owned())]);
        assert_eq!(row.column::<i64>("a").unwrap(), 7);
        assert_eq!(row.column::<Option<String>>("b").unwrap(), None);
        assert!(row.column::<bool>("c").unwrap(), "SQLite's 1 is true");
        assert!(matches!(row.column::<Region>("d"), Err(StoreError::Corrupt(m)) if m == "d"));
        assert!(row.column::<i64>("e").is_err(), "past the last column");
    }

    #[test]
    fn optional_values_become_null() {
        assert_eq!(Param::from(&None::<Timestamp>), Param::Null);
        assert_eq!(Param::from(&Some(Timestamp(5))), Param::Int(5));
        assert_eq!(params![1_i64, "a"].len(), 2);
    }
}
