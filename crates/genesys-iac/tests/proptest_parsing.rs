//! Property tests (stable Rust, proptest) for what the client parses:
//! job files (`JobSpec` from YAML and JSON), regions and base URLs, and
//! response decoding (jobs, error bodies, history shapes, job statuses),
//! down to the wrapper's history normalisation over loopback.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Reply, scripted};
use genesys_iac::types::{ErrorBody, InfrastructureascodeJob, InfrastructureascodeJobHistory};
use genesys_iac::{Client, JobSpec, JobStatus, Region, RetryPolicy};
use indexmap::IndexMap;
use proptest::prelude::*;
use serde_json::{Value, json};

// -------------------------------------------------------------- strategies

/// Parameter names and values: anything, including YAML's awkward words and
/// characters (`~`, `null`, `yes`, `: `, quotes, newlines, unicode).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[a-zA-Z0-9_. -]{0,12}",
        Just("null".to_string()),
        Just("~".to_string()),
        Just("yes".to_string()),
        Just("NO".to_string()),
        Just("0x1F".to_string()),
        Just("1e3".to_string()),
        Just("- a".to_string()),
        Just("a: b".to_string()),
        Just("#x".to_string()),
        Just("'\"".to_string()),
        Just(" lead".to_string()),
        Just("line\nbreak".to_string()),
        Just("".to_string()),
    ]
}

fn accelerator_id() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z][a-z0-9-]{0,20}",
        // Anything valid, including ids YAML would read as other types.
        1 => text().prop_filter("valid id", |s| !s.trim().is_empty() && s.trim() == s),
        1 => prop::sample::select(vec!["null", "~", "123", "1.5", "true", "no", "0x10", "-", "[a]"])
            .prop_map(str::to_string),
    ]
}

/// Unique parameter names in a random order, with values.
fn parameters() -> impl Strategy<Value = IndexMap<String, String>> {
    prop::collection::vec(("[a-zA-Z_][a-zA-Z0-9_.-]{0,10}|.+", text()), 0..8).prop_map(|v| {
        let mut m = IndexMap::new();
        for (k, val) in v {
            if !k.trim().is_empty() {
                m.entry(k).or_insert(val);
            }
        }
        m
    })
}

fn spec() -> impl Strategy<Value = JobSpec> {
    (accelerator_id(), any::<bool>(), parameters()).prop_map(|(id, dry, params)| {
        JobSpec::builder(id)
            .dry_run(dry)
            .parameters(params)
            .build()
            .unwrap()
    })
}

/// Arbitrary JSON values, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
        Just(Value::String("2026-03-01T12:30:05.123Z".into())),
        Just(Value::String("Complete".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("id".to_string()),
                        Just("status".to_string()),
                        Just("dryRun".to_string()),
                        Just("entities".to_string()),
                        Just("code".to_string()),
                        Just("message".to_string()),
                        Just("errors".to_string()),
                        Just("dateSubmitted".to_string()),
                        Just("acceleratorId".to_string()),
                        Just("parameters".to_string()),
                        "[a-zA-Z]{1,8}",
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|v| Value::Object(v.into_iter().collect())),
        ]
    })
}

fn status() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            JobStatus::KNOWN
                .iter()
                .map(|s| s.as_str().to_string())
                .collect::<Vec<_>>()
        ),
        ".*",
    ]
}

/// A wire-form job.
fn wire_job() -> impl Strategy<Value = Value> {
    (
        "[a-z0-9-]{1,12}",
        any::<bool>(),
        status(),
        prop::option::of(text()),
    )
        .prop_map(|(id, dry, status, results)| {
            let mut j = json!({
                "id": id,
                "dryRun": dry,
                "status": status,
                "acceleratorId": "hello-world",
                "dateSubmitted": "2026-03-01T12:30:05.123Z",
                "selfUri": format!("/api/v2/infrastructureascode/jobs/{id}"),
            });
            if let Some(r) = results {
                j["results"] = Value::String(r);
            }
            j
        })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------- job files

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_as_a_job_file_never_panics(s in ".*") {
        let _ = serde_json::from_str::<JobSpec>(&s).map(|j| j.validate());
        let _ = serde_norway::from_str::<JobSpec>(&s).map(|j| j.validate());
    }

    #[test]
    fn any_bytes_as_a_json_job_file_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<JobSpec>(&b).map(|j| j.validate());
        let _ = serde_norway::from_slice::<JobSpec>(&b).map(|j| j.validate());
    }

    #[test]
    fn any_json_document_as_a_job_file_never_panics(v in json_value()) {
        let text = v.to_string();
        let _ = serde_json::from_str::<JobSpec>(&text).map(|j| j.validate());
        // JSON is YAML.
        let _ = serde_norway::from_str::<JobSpec>(&text).map(|j| j.validate());
        let _ = serde_json::from_value::<JobSpec>(v);
    }

    #[test]
    fn job_file_shaped_documents_never_panic(
        id in prop::option::of(json_value()),
        dry in prop::option::of(json_value()),
        params in prop::option::of(json_value()),
        extra in prop::option::of(json_value()),
    ) {
        let mut doc = serde_json::Map::new();
        for (k, v) in [("acceleratorId", id), ("dryRun", dry), ("parameters", params), ("x", extra)] {
            if let Some(v) = v {
                doc.insert(k.into(), v);
            }
        }
        let text = Value::Object(doc).to_string();
        let j = serde_json::from_str::<JobSpec>(&text);
        let y = serde_norway::from_str::<JobSpec>(&text);
        // Both formats agree on what is a valid job file.
        prop_assert_eq!(j.is_ok(), y.is_ok(), "{} json={:?} yaml={:?}", text, j, y);
        if let (Ok(j), Ok(y)) = (j, y) {
            prop_assert_eq!(j, y);
        }
    }

    #[test]
    fn valid_specs_round_trip_through_json_and_yaml(spec in spec()) {
        prop_assert!(spec.validate().is_ok());
        let json = serde_json::to_string(&spec).unwrap();
        let back: JobSpec = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &spec);
        prop_assert!(back.parameters.keys().eq(spec.parameters.keys()), "order kept");

        let yaml = serde_norway::to_string(&spec).unwrap();
        let back: JobSpec = serde_norway::from_str(&yaml)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        prop_assert_eq!(&back, &spec);
        prop_assert!(back.parameters.keys().eq(spec.parameters.keys()), "order kept");

        let wire = spec.to_input();
        let names: Vec<_> = wire.parameters.iter().map(|p| p.name.clone().unwrap()).collect();
        prop_assert!(names.iter().eq(spec.parameters.keys()));
    }

    #[test]
    fn numbers_and_booleans_become_strings(n in any::<i64>(), b in any::<bool>(), f in -1e9f64..1e9) {
        let text = format!(r#"{{"acceleratorId":"a","parameters":{{"n":{n},"b":{b},"f":{f}}}}}"#);
        for spec in [
            serde_json::from_str::<JobSpec>(&text).unwrap(),
            serde_norway::from_str::<JobSpec>(&text).unwrap(),
        ] {
            prop_assert_eq!(&spec.parameters["n"], &n.to_string());
            prop_assert_eq!(&spec.parameters["b"], &b.to_string());
            prop_assert_eq!(spec.parameters["f"].parse::<f64>().unwrap(), f);
        }
    }

    #[test]
    fn duplicate_parameter_names_are_rejected(spec in spec(), which in any::<prop::sample::Index>(), value in text()) {
        prop_assume!(!spec.parameters.is_empty());
        let (dup, _) = spec.parameters.get_index(which.index(spec.parameters.len())).unwrap();
        let dup = dup.clone();
        // JSON text (also valid YAML) with the name repeated at the end.
        let mut pairs: Vec<String> = spec
            .parameters
            .iter()
            .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), Value::from(v.as_str())))
            .collect();
        pairs.push(format!("{}:{}", Value::from(dup.as_str()), Value::from(value.as_str())));
        let text = format!(
            r#"{{"acceleratorId":{},"parameters":{{{}}}}}"#,
            Value::from(spec.accelerator_id.as_str()),
            pairs.join(",")
        );
        let j = serde_json::from_str::<JobSpec>(&text);
        prop_assert!(j.is_err(), "JSON accepted a duplicate: {}", text);
        prop_assert!(j.unwrap_err().to_string().contains("duplicate"));
        prop_assert!(serde_norway::from_str::<JobSpec>(&text).is_err(), "YAML accepted a duplicate: {}", text);
        // Block-style YAML too.
        let mut yaml = format!("acceleratorId: {}\nparameters:\n", Value::from(spec.accelerator_id.as_str()));
        for (k, v) in &spec.parameters {
            yaml.push_str(&format!("  {}: {}\n", Value::from(k.as_str()), Value::from(v.as_str())));
        }
        yaml.push_str(&format!("  {}: {}\n", Value::from(dup.as_str()), Value::from(value.as_str())));
        prop_assert!(serde_norway::from_str::<JobSpec>(&yaml).is_err(), "YAML accepted a duplicate:\n{}", yaml);
        // And the builder.
        let built = JobSpec::builder(spec.accelerator_id.clone())
            .parameters(spec.parameters.clone())
            .parameter(dup, value)
            .build();
        prop_assert!(built.is_err());
    }
}

/// Regressions found by `job_file_shaped_documents_never_panic` and
/// `numbers_and_booleans_become_strings`.
#[test]
fn yaml_accelerator_id_must_be_a_string_like_in_json() {
    for bad in [
        "acceleratorId: null",
        "acceleratorId: ~",
        "acceleratorId:",
        "acceleratorId: 123",
        "acceleratorId: true",
        "acceleratorId: [a]",
    ] {
        let r = serde_norway::from_str::<JobSpec>(bad);
        assert!(r.is_err(), "{bad:?} gave {r:?}");
    }
    for (good, id) in [
        ("acceleratorId: \"null\"", "null"),
        ("acceleratorId: '123'", "123"),
        ("acceleratorId: hello-world", "hello-world"),
    ] {
        assert_eq!(
            serde_norway::from_str::<JobSpec>(good)
                .unwrap()
                .accelerator_id,
            id
        );
    }
    assert!(serde_json::from_str::<JobSpec>(r#"{"acceleratorId":null}"#).is_err());
}

#[test]
fn json_float_parameters_keep_their_exact_value() {
    let spec: JobSpec = serde_json::from_str(
        r#"{"acceleratorId":"a","parameters":{"f":-108696097.77105667,"g":0.1}}"#,
    )
    .unwrap();
    assert_eq!(spec.parameters["f"], "-108696097.77105667");
    assert_eq!(spec.parameters["g"], "0.1");
}

// ------------------------------------------------------------ regions, URLs

/// Strings made of the pieces a region parser looks for.
fn region_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("https://".to_string()),
        Just("://".to_string()),
        Just("api.".to_string()),
        Just("login.".to_string()),
        Just("apps.".to_string()),
        Just(":".to_string()),
        Just("/".to_string()),
        Just("?".to_string()),
        Just("#".to_string()),
        Just(".".to_string()),
        Just(" ".to_string()),
        Just("İ".to_string()),
        Just("ß".to_string()),
        prop::sample::select(
            Region::ALL
                .iter()
                .map(|r| r.key().to_string())
                .collect::<Vec<_>>()
        ),
        prop::sample::select(
            Region::ALL
                .iter()
                .map(|r| r.domain().to_string())
                .collect::<Vec<_>>()
        ),
        ".{0,4}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

/// A region with one of its spellings, decorated.
fn region_spelling() -> impl Strategy<Value = (Region, String)> {
    (
        prop::sample::select(Region::ALL.to_vec()),
        0..4usize,
        any::<bool>(),
        any::<bool>(),
        prop::option::of(1..65535u16),
        "(/[a-z]{0,5}){0,2}",
    )
        .prop_map(|(r, form, upper, dot, port, path)| {
            let s = match form {
                0 => r.key().to_string(),
                1 => r.domain().to_string(),
                2 => format!("api.{}", r.domain()),
                _ => {
                    let host = if dot {
                        format!("api.{}.", r.domain())
                    } else {
                        format!("api.{}", r.domain())
                    };
                    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                    format!("https://{host}{port}{path}")
                }
            };
            (r, if upper { s.to_uppercase() } else { s })
        })
}

/// A valid DNS host name. Labels with `--` in their third and fourth places
/// are IDNA ACE labels (`xn--...`): most such strings are not valid punycode,
/// and URL parsing rightly refuses them.
fn public_host() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,6}){1,2}".prop_filter("not an IDNA ACE label", |h| {
        h.split('.').all(|label| label.get(2..4) != Some("--"))
    })
}

fn build_with_base(url: &str) -> Result<Client, genesys_iac::Error> {
    Client::builder().base_url(url).access_token("t").build()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn region_parsing_never_panics(s in ".*", t in region_like()) {
        let _ = s.parse::<Region>();
        if let Ok(r) = t.parse::<Region>() {
            // Whatever parses is a real region, and round-trips.
            prop_assert_eq!(r.key().parse::<Region>().unwrap(), r);
        }
    }

    #[test]
    fn every_region_spelling_parses((r, s) in region_spelling()) {
        prop_assert_eq!(s.parse::<Region>().unwrap(), r, "{}", s);
    }

    #[test]
    fn base_url_validation_never_panics(s in ".*", t in region_like()) {
        for u in [s, t, format!("http://{}", "x")] {
            if let Ok(c) = build_with_base(&u) {
                prop_assert!(!c.base_url().ends_with('/'));
                prop_assert!(c.base_url().starts_with("https://") || c.base_url().starts_with("http://"));
            }
        }
    }

    #[test]
    fn loopback_http_and_any_https_are_accepted(
        host in prop_oneof![
            Just("localhost".to_string()),
            Just("LOCALHOST".to_string()),
            Just("[::1]".to_string()),
            (0..=255u8, 0..=255u8, 0..=255u8).prop_map(|(a, b, c)| format!("127.{a}.{b}.{c}")),
        ],
        port in prop::option::of(1..65535u16),
        path in "(/[a-z0-9]{1,5}){0,3}/?",
        https_host in public_host(),
    ) {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        for scheme in ["http", "https"] {
            let url = format!("{scheme}://{host}{port}{path}");
            let c = build_with_base(&url);
            prop_assert!(c.is_ok(), "{} refused: {:?}", url, c.err());
            let c = c.unwrap();
            prop_assert!(!c.base_url().ends_with('/'), "{}", c.base_url());
        }
        let url = format!("https://{https_host}{port}{path}");
        prop_assert!(build_with_base(&url).is_ok(), "{}", url);
    }

    #[test]
    fn plain_http_to_other_hosts_is_refused(
        host in prop_oneof![
            "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,6}){1,2}",
            Just("localhost.evil.com".to_string()),
            Just("127.0.0.1.nip.io".to_string()),
            Just("[::ffff:10.0.0.1]".to_string()),
            (1..=255u8, 0..=255u8, 0..=255u8, 0..=255u8)
                .prop_filter("not loopback", |(a, ..)| *a != 127)
                .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        ],
        port in prop::option::of(1..65535u16),
    ) {
        prop_assume!(host != "localhost");
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let url = format!("http://{host}{port}");
        let e = build_with_base(&url);
        prop_assert!(
            matches!(e, Err(genesys_iac::Error::Config(ref m)) if m.contains("http://")),
            "{} accepted or wrong error: {:?}", url, e.map(|c| c.base_url().to_string())
        );
    }
}

#[test]
fn every_region_round_trips_through_key_domain_and_urls() {
    for &r in Region::ALL {
        for s in [
            r.key().to_string(),
            r.domain().to_string(),
            r.api_url(),
            r.login_url(),
            format!("{}/", r.api_url()),
            r.to_string(),
        ] {
            assert_eq!(s.parse::<Region>().unwrap(), r, "{s}");
        }
        let c = Client::builder()
            .region(r)
            .access_token("t")
            .build()
            .unwrap();
        assert_eq!(c.base_url(), r.api_url());
        assert_eq!(c.login_url(), r.login_url());
        let c = build_with_base(&r.api_url()).unwrap();
        assert_eq!(c.base_url(), r.api_url());
        assert_eq!(c.login_url(), r.login_url());
    }
}

// ------------------------------------------------------- response decoding

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_json_never_panics_the_decoders(v in json_value()) {
        let text = v.to_string();
        let _ = serde_json::from_str::<InfrastructureascodeJob>(&text).map(genesys_iac::Job::from_raw);
        let _ = serde_json::from_str::<ErrorBody>(&text);
        let _ = serde_json::from_str::<InfrastructureascodeJobHistory>(&text);
        let _ = serde_json::from_value::<JobStatus>(v);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(b in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<InfrastructureascodeJob>(&b);
        let _ = serde_json::from_slice::<ErrorBody>(&b);
        let _ = serde_json::from_slice::<InfrastructureascodeJobHistory>(&b);
    }

    #[test]
    fn any_status_text_decodes_and_round_trips(s in status()) {
        let st: JobStatus = serde_json::from_value(Value::String(s.clone())).unwrap();
        prop_assert_eq!(st.to_string(), s.clone());
        prop_assert_eq!(serde_json::to_value(&st).unwrap(), Value::String(s.clone()));
        let known = JobStatus::KNOWN.iter().any(|k| k.as_str() == s);
        prop_assert_eq!(matches!(st, JobStatus::Unknown(_)), !known);
    }

    #[test]
    fn jobs_decode_with_their_fields(j in wire_job()) {
        let job = genesys_iac::Job::from_raw(serde_json::from_value(j.clone()).unwrap());
        prop_assert_eq!(job.id(), j["id"].as_str().unwrap());
        prop_assert_eq!(job.status().as_str(), j["status"].as_str().unwrap());
        prop_assert_eq!(job.dry_run(), j["dryRun"].as_bool().unwrap());
        prop_assert_eq!(job.results(), j.get("results").and_then(Value::as_str));
        prop_assert!(job.submitted_at().is_some());
    }

    #[test]
    fn error_bodies_decode_with_their_fields(
        code in prop::option::of(text()),
        message in prop::option::of(text()),
        status in prop::option::of(100..600i64),
        extra in json_value(),
    ) {
        let mut body = json!({"unknownField": extra});
        if let Some(c) = &code { body["code"] = json!(c); }
        if let Some(m) = &message { body["message"] = json!(m); }
        if let Some(s) = status { body["status"] = json!(s); }
        let e: ErrorBody = serde_json::from_value(body).unwrap();
        prop_assert_eq!(e.code, code);
        prop_assert_eq!(e.message, message);
    }

    #[test]
    fn every_history_shape_decodes_to_the_same_jobs(jobs in prop::collection::vec(wire_job(), 0..5)) {
        let ids: Vec<&str> = jobs.iter().map(|j| j["id"].as_str().unwrap()).collect();
        let listing = json!({"entities": jobs, "pageSize": 25, "pageNumber": 1, "total": jobs.len()});
        let array = Value::Array(jobs.clone());
        for shape in [listing, array] {
            let h: InfrastructureascodeJobHistory = serde_json::from_value(shape).unwrap();
            let got: Vec<String> = match h {
                InfrastructureascodeJobHistory::InfrastructureascodeJobEntityListing(l) => {
                    l.entities.into_iter().map(|j| j.id.unwrap()).collect()
                }
                InfrastructureascodeJobHistory::JobArray(a) => a.0.into_iter().map(|j| j.id.unwrap()).collect(),
                InfrastructureascodeJobHistory::InfrastructureascodeJob(j) => vec![j.id.unwrap()],
            };
            prop_assert_eq!(&got, &ids);
        }
        if let Some(one) = jobs.first() {
            let h: InfrastructureascodeJobHistory = serde_json::from_value(one.clone()).unwrap();
            let is_single = matches!(h, InfrastructureascodeJobHistory::InfrastructureascodeJob(_));
            prop_assert!(is_single);
        }
    }
}

proptest! {
    // Each case starts a loopback server: fewer cases.
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// The wrapper: whatever shape the history arrives in, `history()` returns
    /// the jobs as a list, in order.
    #[test]
    fn the_client_normalises_every_history_shape(
        jobs in prop::collection::vec(wire_job(), 1..5),
        shape in 0..3usize,
    ) {
        let ids: Vec<String> = jobs.iter().map(|j| j["id"].as_str().unwrap().to_string()).collect();
        let body = match shape {
            0 => json!({"entities": jobs, "pageSize": 25, "total": jobs.len()}),
            1 => Value::Array(jobs.clone()),
            _ => jobs[0].clone(),
        };
        let expected = if shape == 2 { ids[..1].to_vec() } else { ids };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let got = rt.block_on(async move {
            let server = scripted(move |_, _| Reply::json(200, body.clone())).await;
            let client = Client::builder()
                .base_url(&server.url)
                .access_token("t")
                .retry_policy(RetryPolicy::none())
                .build()
                .unwrap();
            client.history().send().await
        });
        let got: Vec<String> = got.unwrap().iter().map(|j| j.id().to_string()).collect();
        prop_assert_eq!(got, expected);
    }
}

/// Found by `loopback_http_and_any_https_are_accepted`: a host label
/// `xn--aaaa` is not valid punycode, so the URL is refused (a `Config` error,
/// no panic), while real internationalised names are accepted.
#[test]
fn idna_hosts_are_checked() {
    let bad = build_with_base("https://xn--aaaa.aa");
    assert!(matches!(bad, Err(genesys_iac::Error::Config(_))), "{bad:?}");
    for ok in ["https://xn--bcher-kva.example", "https://bücher.example"] {
        let c = build_with_base(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(c.base_url(), "https://xn--bcher-kva.example");
    }
}
