//! Snapshot of the operations the client is generated from: method, path,
//! operationId, and each parameter with its location, type, required flag and
//! default. Adding, removing or changing a parameter shows up here.

use openapiv3::{OpenAPI, Parameter, ReferenceOr, Schema, SchemaKind, Type};

fn schema_type(
    spec: &OpenAPI,
    schema: &ReferenceOr<Schema>,
) -> (String, Option<serde_json::Value>) {
    match schema {
        ReferenceOr::Reference { reference } => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            let target = spec
                .components
                .as_ref()
                .and_then(|c| c.schemas.get(name))
                .and_then(|s| s.as_item());
            let default = target.and_then(|s| s.schema_data.default.clone());
            let detail = match target.map(|s| &s.schema_kind) {
                Some(SchemaKind::Type(Type::String(s))) if !s.enumeration.is_empty() => format!(
                    " (string enum: {})",
                    s.enumeration
                        .iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("|")
                ),
                _ => String::new(),
            };
            (format!("{name}{detail}"), default)
        }
        ReferenceOr::Item(s) => {
            let ty = match &s.schema_kind {
                SchemaKind::Type(Type::String(_)) => "string".to_string(),
                SchemaKind::Type(Type::Boolean(_)) => "boolean".to_string(),
                SchemaKind::Type(Type::Integer(i)) => match &i.format {
                    openapiv3::VariantOrUnknownOrEmpty::Item(f) => {
                        format!("integer ({f:?})").to_lowercase()
                    }
                    openapiv3::VariantOrUnknownOrEmpty::Unknown(f) => format!("integer ({f})"),
                    openapiv3::VariantOrUnknownOrEmpty::Empty => "integer".to_string(),
                },
                other => format!("{other:?}"),
            };
            (ty, s.schema_data.default.clone())
        }
    }
}

#[test]
fn operations() {
    let spec: OpenAPI =
        serde_norway::from_str(include_str!("../../../openapi/infrastructureascode.yaml"))
            .expect("the spec parses");
    let mut ops = Vec::new();
    for (path, item) in &spec.paths.paths {
        let item = item.as_item().expect("no path refs");
        for (method, op) in item.iter() {
            let params: Vec<_> = op
                .parameters
                .iter()
                .map(|p| {
                    let p = p.as_item().expect("no parameter refs");
                    let (location, data) = match p {
                        Parameter::Query { parameter_data, .. } => ("query", parameter_data),
                        Parameter::Path { parameter_data, .. } => ("path", parameter_data),
                        Parameter::Header { parameter_data, .. } => ("header", parameter_data),
                        Parameter::Cookie { parameter_data, .. } => ("cookie", parameter_data),
                    };
                    let (ty, default) = match &data.format {
                        openapiv3::ParameterSchemaOrContent::Schema(s) => schema_type(&spec, s),
                        openapiv3::ParameterSchemaOrContent::Content(_) => ("content".into(), None),
                    };
                    serde_json::json!({
                        "name": data.name,
                        "in": location,
                        "type": ty,
                        "required": data.required,
                        "default": default,
                    })
                })
                .collect();
            let body = op.request_body.as_ref().map(|b| {
                let b = b.as_item().expect("no body refs");
                let schema = b
                    .content
                    .get("application/json")
                    .and_then(|m| m.schema.as_ref())
                    .map(|s| schema_type(&spec, s).0);
                serde_json::json!({"required": b.required, "schema": schema})
            });
            let mut statuses: Vec<String> = op
                .responses
                .responses
                .keys()
                .map(|s| s.to_string())
                .collect();
            statuses.sort();
            ops.push(serde_json::json!({
                "operationId": op.operation_id,
                "method": method.to_uppercase(),
                "path": path,
                "summary": op.summary,
                "parameters": params,
                "requestBody": body,
                "responses": statuses,
                "default_response": op.responses.default.is_some(),
            }));
        }
    }
    insta::assert_json_snapshot!(ops);
}
