//! Printing responses and errors: canonical protobuf JSON (`--json`) or a readable
//! indented form, and errors with their `ErrorInfo` reason and details.

use std::fmt::Write;

use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage};
use serde_json::Value;
use tonic_types::StatusExt;

fn pool() -> anyhow::Result<DescriptorPool> {
    Ok(DescriptorPool::decode(gcc_proto::FILE_DESCRIPTOR_SET)?)
}

/// A message as canonical protobuf JSON.
pub fn to_json<M: prost::Message + prost::Name>(message: &M) -> anyhow::Result<Value> {
    let pool = pool()?;
    let desc = pool
        .get_message_by_name(&M::full_name())
        .ok_or_else(|| anyhow::anyhow!("no descriptor for {}", M::full_name()))?;
    let dynamic = DynamicMessage::decode(desc, message.encode_to_vec().as_slice())?;
    let _ = dynamic.descriptor();
    Ok(serde_json::to_value(&dynamic)?)
}

/// Prints a message as JSON, or readably.
pub fn print<M: prost::Message + prost::Name>(message: &M, json: bool) -> anyhow::Result<()> {
    let value = to_json(message)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if value.as_object().is_some_and(|o| o.is_empty()) {
        // Proto JSON leaves out empty fields, so an empty list is an empty object.
        println!("(none)");
    } else {
        print!("{}", readable(&value));
    }
    Ok(())
}

/// An indented `key: value` rendering.
pub fn readable(value: &Value) -> String {
    let mut out = String::new();
    render(value, 0, &mut out);
    out
}

fn render(value: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) => {
                        let _ = writeln!(out, "{pad}{k}:");
                        render(v, indent + 1, out);
                    }
                    other => {
                        let _ = writeln!(out, "{pad}{k}: {}", scalar(other));
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) => {
                        let _ = writeln!(out, "{pad}-");
                        render(item, indent + 1, out);
                    }
                    other => {
                        let _ = writeln!(out, "{pad}- {}", scalar(other));
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other));
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An error status as a person (or, with `json`, a script) reads it.
pub fn describe_error(status: &tonic::Status, json: bool) -> String {
    let details = status.get_error_details();
    let info = details.error_info();
    if json {
        let v = serde_json::json!({
            "code": format!("{:?}", status.code()),
            "message": status.message(),
            "reason": info.map(|i| i.reason.clone()),
            "domain": info.map(|i| i.domain.clone()),
            "metadata": info.map(|i| i.metadata.clone()),
            "field_violations": details.bad_request().map(|b| b.field_violations.iter().map(|f| serde_json::json!({"field": f.field, "description": f.description})).collect::<Vec<_>>()),
            "precondition_failures": details.precondition_failure().map(|p| p.violations.iter().map(|v| serde_json::json!({"type": v.r#type, "subject": v.subject, "description": v.description})).collect::<Vec<_>>()),
            "retry_after_ms": details.retry_info().and_then(|r| r.retry_delay).map(|d| d.as_millis()),
        });
        return serde_json::to_string_pretty(&v).unwrap_or_default();
    }
    let mut out = format!(
        "error: {:?} {}: {}",
        status.code(),
        info.map(|i| i.reason.as_str()).unwrap_or("(no reason)"),
        status.message()
    );
    if let Some(i) = info {
        let mut keys: Vec<_> = i.metadata.iter().collect();
        keys.sort();
        for (k, v) in keys {
            let _ = write!(out, "\n  {k}: {v}");
        }
    }
    if let Some(b) = details.bad_request() {
        for f in &b.field_violations {
            let _ = write!(out, "\n  field {}: {}", f.field, f.description);
        }
    }
    if let Some(p) = details.precondition_failure() {
        for v in &p.violations {
            let _ = write!(out, "\n  precondition {} ({}): {}", v.r#type, v.subject, v.description);
        }
    }
    if let Some(r) = details.retry_info().and_then(|r| r.retry_delay) {
        let _ = write!(out, "\n  retry after {r:?}");
    }
    if let Some(h) = details.help() {
        for l in &h.links {
            let _ = write!(out, "\n  help: {} <{}>", l.description, l.url);
        }
    }
    out
}
