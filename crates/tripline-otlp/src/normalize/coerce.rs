//! Attributes that agents send as strings although they hold numbers or booleans.
//!
//! Codex sends `duration_ms`, `prompt_length`, the token counts and `success` as strings;
//! Claude Code does the same for some log attributes. For the canonical keys listed here a
//! string value that parses is replaced by the number or boolean; a string that does not
//! parse is kept as sent. `docs/fields.md` repeats these lists.

use tripline_event::Value;

/// Canonical keys whose string values are parsed as numbers (integer when the text is an
/// integer, else a finite float).
pub const NUMERIC_KEYS: &[&str] = &[
    // Codex
    "duration_ms",
    "prompt_length",
    "input_token_count",
    "output_token_count",
    "tool_token_count",
    "cached_token_count",
    "reasoning_token_count",
    "cache_write_token_count",
    "initial_duration_ms",
    "escalated_duration_ms",
    "attempt",
    "http_response_status_code",
    "ttft_ms",
    "tool_result_seq",
    "arguments_length",
    "output_length",
    "output_line_count",
    "context_window",
    "auto_compact_token_limit",
    "text_input_count",
    "image_input_count",
    "local_image_input_count",
    "mcp_server_count",
    "usage_estimated_usd",
    // Claude Code
    "tool_input_size_bytes",
    "tool_result_size_bytes",
    "response_length",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "cost_usd",
    "cost_usd_micros",
    "event_sequence",
    "total_attempts",
    "total_retry_duration_ms",
    "body_length",
    // Gemini CLI
    "status_code",
    "cached_content_token_count",
    "thoughts_token_count",
    "total_token_count",
    "content_length",
    "lines",
    "mcp_servers_count",
    "extension_count",
    "mcp_tools_count",
];

/// Canonical keys whose string values `true`/`false` (any case) become booleans.
pub const BOOLEAN_KEYS: &[&str] = &[
    "success",
    "mcp_tool",
    "base_url_is_default",
    "body_truncated",
    "turn_interrupted",
    "sandbox_enabled",
];

/// The coerced value for `canonical_key`, or `None` when it stays as it is.
pub(crate) fn coerce(canonical_key: &str, v: &Value) -> Option<Value> {
    let Value::Str(s) = v else { return None };
    let t = s.trim();
    if NUMERIC_KEYS.contains(&canonical_key) {
        if let Ok(i) = t.parse::<i64>() {
            return Some(Value::Int(i));
        }
        return t
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float);
    }
    if BOOLEAN_KEYS.contains(&canonical_key) {
        if t.eq_ignore_ascii_case("true") {
            return Some(Value::Bool(true));
        }
        if t.eq_ignore_ascii_case("false") {
            return Some(Value::Bool(false));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_booleans_parse_others_stay() {
        assert_eq!(
            coerce("duration_ms", &Value::from("12")),
            Some(Value::Int(12))
        );
        assert_eq!(
            coerce("cost_usd", &Value::from("0.25")),
            Some(Value::Float(0.25))
        );
        assert_eq!(
            coerce("success", &Value::from("True")),
            Some(Value::Bool(true))
        );
        assert_eq!(
            coerce("success", &Value::from("false")),
            Some(Value::Bool(false))
        );
        assert_eq!(coerce("duration_ms", &Value::from("n/a")), None);
        assert_eq!(coerce("duration_ms", &Value::from("NaN")), None);
        assert_eq!(coerce("model", &Value::from("12")), None);
        assert_eq!(coerce("duration_ms", &Value::Int(3)), None);
    }
}
