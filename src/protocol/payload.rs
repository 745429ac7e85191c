//! Reading a payload into an event, with refusals in the protocol's words.
//!
//! serde's errors speak of Rust: `invalid type: string "add", expected
//! internally tagged enum Op`. A client author needs to hear which field
//! and what it must be: `op must be an object with a type of add, erase or
//! restore, got a string`. So a payload is not read by `serde_json`'s own
//! deserializer but by [`Json`], the same JSON value with an error type of
//! our own, [`Fault`], which keeps what serde reports (the wrong type, the
//! missing field, the unknown name) apart instead of as a sentence; and
//! `serde_path_to_error` says where in the payload it happened. [`say`]
//! then words it: the field's path, what it must be, what came.
//!
//! What a field must be comes from its type: serde's stock expectations
//! ("u32", "a sequence", "struct Shape") are translated in [`want`]; a
//! type with a meaning of its own says it with `#[serde(expecting = …)]`
//! (`Op`, `Shape`, `Tool`), and a validated value (names, ids, colours)
//! with its own error, which is kept as it is.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserializer, Expected, IntoDeserializer, Unexpected, Visitor};
use serde_json::Value;
use std::fmt;

/// Reads `value` as a `T`, or says in the protocol's words what is wrong,
/// after `event: `.
pub(crate) fn read<T: de::DeserializeOwned>(event: &str, value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(Json(value)).map_err(|e| {
        let path = e.path().to_string();
        say(event, &path, e.into_inner())
    })
}

/// Why a value could not be read, as serde reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    /// A type's own words: a validated value's rule (`username must not be
    /// empty`), or a rule between fields (`an op of type add needs a
    /// shape`).
    Said(String),
    /// A value of the wrong JSON type: what it must be, what came.
    Type { want: String, got: String },
    /// The right type, a value out of range (`limit: -1`).
    Value { want: String, got: String },
    /// An array of the wrong length.
    Length { want: String, len: usize },
    /// A name that is not one of `one_of` (a tool, an op's type).
    Name {
        got: String,
        one_of: &'static [&'static str],
    },
    /// A field that must be there is not.
    Missing(&'static str),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&say_at("this value", self))
    }
}

impl std::error::Error for Fault {}

impl de::Error for Fault {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Fault::Said(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Fault::Type {
            want: want(exp),
            got: got(&unexp, false),
        }
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Fault::Value {
            want: want(exp),
            got: got(&unexp, true),
        }
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        Fault::Length {
            want: want(exp),
            len,
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Fault::Name {
            got: clip(variant),
            one_of: expected,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Fault::Missing(field)
    }

    // Neither happens with Huddle's events (unknown fields are ignored; a
    // JSON object has each key once), but if one did, it is said plainly.
    fn unknown_field(field: &str, _: &'static [&'static str]) -> Self {
        Fault::Said(format!("{} is not a field here", clip(field)))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Fault::Said(format!("{field} is given twice"))
    }
}

/// The refusal of `event` for `fault` at `path` (`op.shape.points[3]`;
/// `.` for the payload itself).
pub(crate) fn say(event: &str, path: &str, fault: Fault) -> String {
    let at = if path == "." { "the payload" } else { path };
    format!("{event}: {}", say_at(at, &fault))
}

fn say_at(at: &str, fault: &Fault) -> String {
    match fault {
        Fault::Said(words) => words.clone(),
        Fault::Missing(field) if at == "the payload" => format!("missing field `{field}`"),
        Fault::Missing(field) => format!("missing field `{at}.{field}`"),
        Fault::Type { want, got } => format!("{at} must be {want}, got {got}"),
        Fault::Value { want, got } => format!("{at} must be {want}, got {got}"),
        Fault::Length { want, len } => format!("{at} must be {want}, got an array of {len}"),
        Fault::Name { got, one_of } => format!("{at} must be {}, got {got:?}", or_list(one_of)),
    }
}

/// `a, b or c`.
fn or_list(names: &[&str]) -> String {
    match names.split_last() {
        None => "nothing".into(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// What a value must be, in the protocol's words: serde's stock
/// expectations translated; a type's own `expecting` kept.
fn want(exp: &dyn Expected) -> String {
    let exp = exp.to_string();
    let plain = match exp.as_str() {
        "a string" | "a borrowed string" | "a character" => "a string",
        "a boolean" => "true or false",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a sequence" => "an array",
        "a map" => "an object",
        "unit" => "null",
        _ => {
            // `an array of length 2` (a fixed array reading too few items),
            // `2 elements in sequence` (too many).
            let items = exp
                .strip_prefix("an array of length ")
                .or_else(|| exp.strip_suffix(" elements in sequence"))
                .or_else(|| exp.strip_suffix(" element in sequence"));
            if let Some(n) = items {
                return format!("an array of {n} items");
            }
            if exp.starts_with("struct ") || exp.starts_with("tuple struct ") {
                return "an object".into();
            }
            return exp;
        }
    };
    plain.to_owned()
}

/// What came: a number or a boolean as it is (`got -1`, `got 1.5`), a
/// string quoted when `quote` (a value out of range) and otherwise by its
/// type, anything else by its JSON type.
fn got(unexp: &Unexpected<'_>, quote: bool) -> String {
    match unexp {
        Unexpected::Bool(b) => b.to_string(),
        Unexpected::Unsigned(n) => n.to_string(),
        Unexpected::Signed(n) => n.to_string(),
        Unexpected::Float(n) => n.to_string(),
        Unexpected::Str(s) if quote => format!("{:?}", clip(s)),
        Unexpected::Str(_) | Unexpected::Char(_) => "a string".into(),
        Unexpected::Unit | Unexpected::Option => "null".into(),
        Unexpected::Seq => "an array".into(),
        Unexpected::Map => "an object".into(),
        _ => "something else".into(),
    }
}

/// At most 20 characters of what a client sent, to quote it in a refusal.
fn clip(s: &str) -> String {
    s.chars().take(20).collect()
}

/// A JSON value as a serde [`Deserializer`] whose errors are [`Fault`]s
/// (`serde_json::Value`'s own are sentences). Arrays and objects are read
/// through serde's own `SeqDeserializer` and `MapDeserializer`.
pub(crate) struct Json(pub Value);

impl<'de> IntoDeserializer<'de, Fault> for Json {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for Json {
    type Error = Fault;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                (None, None, Some(f)) => visitor.visit_f64(f),
                (None, None, None) => Err(Fault::Said(format!("{n} is not a number"))),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Json));
                let read = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(read)
            }
            Value::Object(fields) => {
                let mut map = MapDeserializer::new(fields.into_iter().map(|(k, v)| (k, Json(v))));
                let read = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(read)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// A name (`"pen"`) is a unit variant; anything else is refused by the
    /// enum's visitor, in the enum's `expecting` words.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Json(other).deserialize_any(visitor),
        }
    }

    /// An object; an array is refused (serde would read it as the
    /// struct's fields in order, which no client means).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        match self.0 {
            Value::Array(_) => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
            other => Json(other).deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fault> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        count: u32,
        #[serde(default)]
        maybe: Option<i64>,
        pair: [f32; 2],
        #[serde(default)]
        list: Vec<String>,
    }

    fn refusal(value: Value) -> String {
        read::<Sample>("sample", value).unwrap_err()
    }

    #[test]
    fn each_fault_names_its_field_and_what_it_must_be() {
        let ok = json!({"name": "a", "count": 3, "pair": [1, 2.5], "maybe": null});
        let s: Sample = read("sample", ok).unwrap();
        assert_eq!((s.count, s.pair, s.maybe), (3, [1.0, 2.5], None));
        let cases = [
            (
                json!({"count": 1, "pair": [1, 2]}),
                "sample: missing field `name`",
            ),
            (
                json!({"name": 5, "count": 1, "pair": [1, 2]}),
                "sample: name must be a string, got 5",
            ),
            (
                json!({"name": "a", "count": -1, "pair": [1, 2]}),
                "sample: count must be a whole number, 0 or more, got -1",
            ),
            (
                json!({"name": "a", "count": 1.5, "pair": [1, 2]}),
                "sample: count must be a whole number, 0 or more, got 1.5",
            ),
            (
                json!({"name": true, "count": 1, "pair": [1, 2]}),
                "sample: name must be a string, got true",
            ),
            (
                json!({"name": "a", "count": 1, "pair": [1]}),
                "sample: pair must be an array of 2 items, got an array of 1",
            ),
            (
                json!({"name": "a", "count": 1, "pair": [1, 2, 3]}),
                "sample: pair must be an array of 2 items, got an array of 3",
            ),
            (
                json!({"name": "a", "count": 1, "pair": [1, "y"]}),
                "sample: pair[1] must be a number, got a string",
            ),
            (
                json!({"name": "a", "count": 1, "pair": [1, 2], "maybe": "z"}),
                "sample: maybe must be a whole number, got a string",
            ),
            (
                json!({"name": "a", "count": 1, "pair": [1, 2], "list": [null]}),
                "sample: list[0] must be a string, got null",
            ),
            (
                json!({"name": "a", "count": 1, "pair": {}}),
                "sample: pair must be an array of 2 items, got an object",
            ),
        ];
        for (value, message) in cases {
            assert_eq!(refusal(value.clone()), message, "{value}");
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(expecting = "a box: an object with a size")]
    #[allow(dead_code)]
    struct Boxed {
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(expecting = "an object with a size")]
    #[allow(dead_code)]
    struct Inner {
        size: u8,
    }

    #[test]
    fn objects_are_objects_not_arrays() {
        assert_eq!(
            read::<Boxed>("box", json!({"inner": [3]})).unwrap_err(),
            "box: inner must be an object with a size, got an array"
        );
        assert_eq!(
            read::<Boxed>("box", json!({"inner": {"size": 300}})).unwrap_err(),
            "box: inner.size must be a whole number, 0 or more, got 300"
        );
    }

    #[test]
    fn names_are_listed() {
        assert_eq!(
            or_list(&["add", "erase", "restore"]),
            "add, erase or restore"
        );
        assert_eq!(or_list(&["pen"]), "pen");
    }
}
