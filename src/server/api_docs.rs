//! `GET /docs`: the REST API's documentation for people, written from the same OpenAPI
//! document as `/api/v1/openapi.json`, so the two cannot disagree. One HTML page with
//! the site's stylesheet and nothing loaded from elsewhere.

use crate::server::rest::{OPENAPI_PATH, openapi};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::fmt::Write;

const CSP: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A schema as a short name: a reference's target, an array of one, or its type.
fn schema_name(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    match schema["type"].as_str() {
        Some("array") => format!("[{}]", schema_name(&schema["items"])),
        Some(kind) => schema["format"]
            .as_str()
            .map_or(kind.to_owned(), |f| format!("{kind} ({f})")),
        None => "—".to_owned(),
    }
}

fn operation(html: &mut String, method: &str, path: &str, op: &Value) {
    let _ = write!(
        html,
        "<article class=\"card\" id=\"{id}\"><h3><code>{method} /api/v1{path}</code></h3>",
        id = escape(op["operationId"].as_str().unwrap_or_default()),
        method = method.to_uppercase(),
        path = escape(path),
    );
    let summary = [op["summary"].as_str(), op["description"].as_str()];
    for text in summary.into_iter().flatten() {
        let _ = write!(html, "<p>{}</p>", escape(text));
    }
    let access = if op["security"].is_array() {
        "Bearer: an access token or an API key"
    } else {
        "Public"
    };
    let _ = write!(html, "<p><strong>Access:</strong> {access}</p>");
    if let Some(parameters) = op["parameters"].as_array() {
        html.push_str("<p><strong>Parameters:</strong></p><ul>");
        for parameter in parameters {
            let _ = write!(
                html,
                "<li><code>{}</code> ({}{}) {}</li>",
                escape(parameter["name"].as_str().unwrap_or_default()),
                escape(parameter["in"].as_str().unwrap_or_default()),
                if parameter["required"] == true {
                    ", required"
                } else {
                    ""
                },
                escape(&schema_name(&parameter["schema"])),
            );
        }
        html.push_str("</ul>");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        for (media, body) in content {
            let _ = write!(
                html,
                "<p><strong>Body</strong> <code>{}</code>: {}</p>",
                escape(media),
                escape(&schema_name(&body["schema"]))
            );
        }
    }
    html.push_str("<p><strong>Answers:</strong></p><ul>");
    if let Some(responses) = op["responses"].as_object() {
        for (status, response) in responses {
            let schemas: Vec<String> = response["content"]
                .as_object()
                .map(|content| content.values().map(|c| schema_name(&c["schema"])).collect())
                .unwrap_or_default();
            let _ = write!(
                html,
                "<li><code>{}</code> {} {}</li>",
                escape(status),
                escape(response["description"].as_str().unwrap_or_default()),
                escape(&schemas.join(", "))
            );
        }
    }
    html.push_str("</ul></article>");
}

fn schema(html: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        html,
        "<article class=\"card\" id=\"schema-{0}\"><h3>{0}</h3>",
        escape(name)
    );
    if let Some(description) = schema["description"].as_str() {
        let _ = write!(html, "<p>{}</p>", escape(description));
    }
    if let Some(properties) = schema["properties"].as_object() {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        html.push_str("<ul>");
        for (field, property) in properties {
            let _ = write!(
                html,
                "<li><code>{}</code>: {}{} {}</li>",
                escape(field),
                escape(&schema_name(property)),
                if required.contains(&field.as_str()) {
                    ""
                } else {
                    ", optional"
                },
                escape(property["description"].as_str().unwrap_or_default()),
            );
        }
        html.push_str("</ul>");
    }
    html.push_str("</article>");
}

/// The documentation page.
pub fn render() -> String {
    let document = serde_json::to_value(openapi()).unwrap_or_default();
    let info = &document["info"];
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Santhium API</title><link rel=\"stylesheet\" href=\"/pkg/santhium.css\"></head><body><main class=\"page\">",
    );
    let _ = write!(
        html,
        "<h1>{} {}</h1><p>{}</p><p>Machine-readable: <a href=\"{OPENAPI_PATH}\">{OPENAPI_PATH}</a> (OpenAPI {}).</p>",
        escape(info["title"].as_str().unwrap_or_default()),
        escape(info["version"].as_str().unwrap_or_default()),
        escape(info["description"].as_str().unwrap_or_default()),
        escape(document["openapi"].as_str().unwrap_or_default()),
    );
    html.push_str("<h2>Routes</h2>");
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item[method].is_object() {
                    operation(&mut html, method, path, &item[method]);
                }
            }
        }
    }
    html.push_str("<h2>Objects</h2>");
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, definition) in schemas {
            schema(&mut html, name, definition);
        }
    }
    html.push_str("</main></body></html>");
    html
}

pub async fn page() -> Response {
    let mut response = Html(render()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response
}
