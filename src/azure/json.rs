//! JSON as asrscope reads an export or a service-tag file: serde_json's
//! parser, with a key repeated within one object refused at any depth.
//!
//! RFC 8259 leaves a repeated key to the reader, and readers differ: serde_json
//! and Python keep the last value, others the first. A rule with `"access":
//! "Deny", "access": "Allow"` would be judged Allow here while the tool that
//! wrote it, or Azure, holds Deny. `az` never writes a key twice, so such a
//! file was edited or forged, and no verdict can rest on it.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

/// A key written twice in one object, where the second one ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key, through the one sanitiser.
    pub key: String,
    /// 1-based line of the second occurrence.
    pub line: usize,
    /// 1-based column of the second occurrence's closing quote.
    pub column: usize,
}

impl fmt::Display for DuplicateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the key \"{}\" appears twice in one object (line {}, column {}), so which value holds cannot be told",
            self.key, self.line, self.column
        )
    }
}

/// Why a text could not be read as strict JSON.
#[derive(Debug)]
pub(crate) enum Error {
    /// Not JSON (serde_json's message, with line and column).
    Syntax(serde_json::Error),
    /// JSON with a key repeated in one object.
    Duplicate(DuplicateKey),
}

/// Parses `text` into a [`Value`], refusing a key repeated within any object.
pub(crate) fn parse(text: &str) -> Result<Value, Error> {
    run(&mut serde_json::Deserializer::from_str(text), true)
}

/// The objects an export holds, in every shape `az` and the REST API give
/// them: a `value` wrapper's list (REST, effective lists), a bare array
/// (`az … list`), or the one object (`show`); `None` for a scalar.
pub(crate) fn items(v: &Value) -> Option<Vec<&Value>> {
    match v {
        Value::Array(a) => Some(a.iter().collect()),
        Value::Object(o) => Some(match o.get("value").and_then(Value::as_array) {
            Some(a) => a.iter().collect(),
            None => vec![v],
        }),
        _ => None,
    }
}

/// A field of an export's object: in its `properties` (the REST body) or
/// in the object itself (`az` lifts `properties`); null is absent.
pub(crate) fn field<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    o.get("properties")
        .and_then(Value::as_object)
        .and_then(|p| p.get(key))
        .or_else(|| o.get(key))
        .filter(|v| !v.is_null())
}

/// Checks that `bytes` hold JSON without a key repeated within any object,
/// building nothing (for readers that deserialize into their own types).
pub(crate) fn check(bytes: &[u8]) -> Result<(), Error> {
    run(&mut serde_json::Deserializer::from_slice(bytes), false).map(drop)
}

fn run<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    build: bool,
) -> Result<Value, Error> {
    let noted = Noted::default();
    let seed = Strict {
        repeated: &noted,
        build,
    };
    let value = seed
        .deserialize(&mut *de)
        .and_then(|v| de.end().map(|()| v));
    value.map_err(|e| streamed_error(e, noted))
}

/// Where a parse notes the first key it finds repeated.
pub(crate) type Noted = RefCell<Option<String>>;

/// A seed and visitor that builds one strict [`Value`], for a reader that
/// streams a document with visitors of its own (the large lists of an
/// export converted as they come, never held as one `Value`): a repeated
/// key is noted in `noted`, and [`streamed_error`] tells it.
pub(crate) fn strict(noted: &Noted) -> Strict<'_> {
    Strict {
        repeated: noted,
        build: true,
    }
}

/// Notes `key` as repeated; the error to return, which stops the parse.
pub(crate) fn repeated<E: de::Error>(noted: &Noted, key: String) -> E {
    let e = de::Error::custom(format_args!("the key \"{key}\" appears twice"));
    *noted.borrow_mut() = Some(key);
    e
}

/// What a streamed parse that failed with `e` failed of: the key noted as
/// repeated, where serde_json stopped, else serde_json's own error.
pub(crate) fn streamed_error(e: serde_json::Error, noted: Noted) -> Error {
    match noted.into_inner() {
        Some(key) => Error::Duplicate(DuplicateKey {
            key: crate::sanitize::for_terminal(&key),
            line: e.line(),
            column: e.column(),
        }),
        None => Error::Syntax(e),
    }
}

/// Builds a [`Value`] (or, with `build` false, only walks the document),
/// noting in `repeated` the first key found twice in one object.
#[derive(Clone, Copy)]
pub(crate) struct Strict<'a> {
    repeated: &'a RefCell<Option<String>>,
    build: bool,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(if self.build {
            Value::String(s.to_owned())
        } else {
            Value::Null
        })
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            if self.build {
                out.push(v);
            }
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let again = if self.build {
                out.contains_key(&key)
            } else {
                !seen.insert(key.clone())
            };
            if again {
                return Err(repeated(self.repeated, key));
            }
            let v = map.next_value_seed(self)?;
            if self.build {
                out.insert(key, v);
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused_at_any_depth_with_where() {
        let text = "{\"value\": [\n  {\"name\": \"a\", \"properties\": {\"access\": \"Deny\",\n    \"access\": \"Allow\"}}]}";
        for got in [parse(text).map(drop), check(text.as_bytes())] {
            match got {
                Err(Error::Duplicate(d)) => {
                    assert_eq!(d.key, "access");
                    assert_eq!((d.line, d.column), (3, 12));
                }
                other => panic!("{other:?}"),
            }
        }
        // At the top, and in an object inside an array inside an object.
        for text in [
            "{\"a\": 1, \"a\": 1}",
            "[{\"x\": [{\"b\": {}, \"b\": null}]}]",
        ] {
            assert!(matches!(parse(text), Err(Error::Duplicate(_))), "{text}");
            assert!(matches!(check(text.as_bytes()), Err(Error::Duplicate(_))));
        }
    }

    #[test]
    fn the_same_key_in_two_objects_is_no_repetition() {
        let text = r#"{"a": {"k": 1}, "b": {"k": [1.5, -2, "s", true, null]}, "k": {}}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert!(check(text.as_bytes()).is_ok());
    }

    #[test]
    fn a_hostile_key_is_named_through_the_sanitiser() {
        let Err(Error::Duplicate(d)) = parse("{\"\\u001b[2J\": 1, \"\\u001b[2J\": 2}") else {
            panic!()
        };
        assert_eq!(d.key, "\\027[2J");
        assert!(matches!(parse("{\"a\": 1,}"), Err(Error::Syntax(_))));
        assert!(matches!(parse("{} x"), Err(Error::Syntax(_))));
    }
}
