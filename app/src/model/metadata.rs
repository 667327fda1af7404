//! Merchant metadata: a small JSON object of string, number or boolean values, as Polar accepts it
//! (at most 50 keys, keys up to 40 characters, string values up to 500 characters).

use serde::{Deserialize, Serialize};

/// Key-value metadata attached to a resource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = Object))]
pub struct Metadata(pub serde_json::Map<String, serde_json::Value>);

pub const MAX_KEYS: usize = 50;
pub const MAX_KEY_LEN: usize = 40;
pub const MAX_STRING_LEN: usize = 500;

impl Metadata {
    /// Checks Polar's limits; the error says which key breaks which rule.
    pub fn validate(&self) -> Result<(), String> {
        if self.0.len() > MAX_KEYS {
            return Err(format!(
                "metadata may have at most {MAX_KEYS} keys (got {})",
                self.0.len()
            ));
        }
        for (key, value) in &self.0 {
            if key.is_empty() || key.chars().count() > MAX_KEY_LEN {
                return Err(format!(
                    "metadata key {key:?} must be 1 to {MAX_KEY_LEN} characters"
                ));
            }
            match value {
                serde_json::Value::String(s) if s.chars().count() > MAX_STRING_LEN => {
                    return Err(format!(
                        "metadata value of {key:?} is longer than {MAX_STRING_LEN} characters"
                    ));
                }
                serde_json::Value::String(_)
                | serde_json::Value::Number(_)
                | serde_json::Value::Bool(_) => {}
                _ => {
                    return Err(format!(
                        "metadata value of {key:?} must be a string, a number or a boolean"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Metadata from its JSON text (as stored).
impl TryFrom<String> for Metadata {
    type Error = serde_json::Error;

    fn try_from(json: String) -> Result<Self, Self::Error> {
        serde_json::from_str(&json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(value: serde_json::Value) -> Metadata {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn scalar_values_are_accepted() {
        assert_eq!(
            meta(serde_json::json!({"plan": "pro", "n": 3, "ok": true})).validate(),
            Ok(())
        );
    }

    #[test]
    fn nested_values_and_long_keys_are_refused_by_name() {
        assert!(
            meta(serde_json::json!({"a": {"b": 1}}))
                .validate()
                .unwrap_err()
                .contains("\"a\"")
        );
        let long = "k".repeat(41);
        assert!(
            meta(serde_json::json!({ long.clone(): 1 }))
                .validate()
                .unwrap_err()
                .contains(&long)
        );
    }
}
