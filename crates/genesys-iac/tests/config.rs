//! Regions, URL rules, configuration from the environment, job specs.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use genesys_iac::{Client, ClientBuilder, Error, JobSpec, Region, SortBy, SortOrder};
use genesys_iac_sim::routes;

const TABLE: [(&str, &str); 18] = [
    ("us-east-1", "mypurecloud.com"),
    ("us-east-2", "use2.us-gov-pure.cloud"),
    ("us-west-2", "usw2.pure.cloud"),
    ("ca-central-1", "cac1.pure.cloud"),
    ("mx-central-1", "mxc1.pure.cloud"),
    ("sa-east-1", "sae1.pure.cloud"),
    ("eu-west-1", "mypurecloud.ie"),
    ("eu-west-2", "euw2.pure.cloud"),
    ("eu-central-1", "mypurecloud.de"),
    ("eu-central-2", "euc2.pure.cloud"),
    ("eusc-de-east-1", "edee1.eusc-pure.cloud"),
    ("me-central-1", "mec1.pure.cloud"),
    ("ap-south-1", "aps1.pure.cloud"),
    ("ap-northeast-1", "mypurecloud.jp"),
    ("ap-northeast-2", "apne2.pure.cloud"),
    ("ap-northeast-3", "apne3.pure.cloud"),
    ("ap-southeast-1", "apse1.pure.cloud"),
    ("ap-southeast-2", "mypurecloud.com.au"),
];

#[test]
fn every_region_maps_to_its_domain_and_urls() {
    assert_eq!(Region::ALL.len(), TABLE.len());
    for (key, domain) in TABLE {
        let r: Region = key.parse().unwrap();
        assert_eq!(r.key(), key);
        assert_eq!(r.to_string(), key);
        assert_eq!(r.domain(), domain);
        assert_eq!(r.api_url(), format!("https://api.{domain}"));
        assert_eq!(r.login_url(), format!("https://login.{domain}"));
        // Every accepted spelling gives the same region.
        for form in [
            domain.to_string(),
            format!("api.{domain}"),
            format!("login.{domain}"),
            format!("https://api.{domain}"),
            format!("https://api.{domain}/"),
            key.to_uppercase(),
        ] {
            assert_eq!(form.parse::<Region>().unwrap(), r, "{form}");
        }
        let client = Client::builder()
            .region(r)
            .access_token("t")
            .build()
            .unwrap();
        assert_eq!(client.base_url(), format!("https://api.{domain}"));
        assert_eq!(client.login_url(), format!("https://login.{domain}"));
    }
}

#[test]
fn an_unknown_region_lists_the_valid_keys() {
    let err = "mars-north-1".parse::<Region>().unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    assert!(err.to_string().contains("eu-west-1"), "{err}");
}

#[test]
fn plain_http_is_refused_unless_loopback() {
    for url in [
        "http://api.mypurecloud.ie",
        "http://192.168.1.10:8787",
        "http://example.com",
    ] {
        let err = Client::builder()
            .base_url(url)
            .access_token("t")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}");
        assert!(err.to_string().contains("http://"), "{err}");
    }
    for url in [
        "http://127.0.0.1:8787",
        "http://localhost:1",
        "http://[::1]:9",
    ] {
        Client::builder()
            .base_url(url)
            .access_token("t")
            .build()
            .unwrap();
    }
    let err = Client::builder()
        .region(Region::EuWest1)
        .login_url("http://login.example.com")
        .access_token("t")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)));
}

#[test]
fn login_url_is_derived_from_the_api_url() {
    let c = Client::builder()
        .base_url("https://api.example.test/")
        .access_token("t")
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "https://api.example.test");
    assert_eq!(c.login_url(), "https://login.example.test");
    let c = Client::builder()
        .base_url("https://gateway.example.test:8443/stem")
        .access_token("t")
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "https://gateway.example.test:8443/stem");
    assert_eq!(c.login_url(), "https://gateway.example.test:8443");
    let c = Client::builder()
        .region(Region::UsEast1)
        .login_url("https://sso.example.test/")
        .access_token("t")
        .build()
        .unwrap();
    assert_eq!(c.login_url(), "https://sso.example.test");
}

#[test]
fn build_says_what_is_missing() {
    let err = Client::builder()
        .region(Region::EuWest1)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("GENESYSCLOUD_OAUTHCLIENT_ID"),
        "{err}"
    );
    let err = Client::builder().access_token("t").build().unwrap_err();
    assert!(err.to_string().contains("GENESYSCLOUD_REGION"), "{err}");
}

#[test]
fn configuration_from_environment_variables() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let b = ClientBuilder::from_env_vars(env(&[
        ("GENESYSCLOUD_REGION", "eu-central-1"),
        ("GENESYSCLOUD_OAUTHCLIENT_ID", "abc"),
        ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "env-secret-123"),
    ]))
    .unwrap();
    assert!(!format!("{b:?}").contains("env-secret-123"));
    let c = b.build().unwrap();
    assert_eq!(c.base_url(), "https://api.mypurecloud.de");
    assert!(format!("{c:?}").contains("abc"));
    assert!(!format!("{c:?}").contains("env-secret-123"));

    // A domain works too, and the caller can still override.
    let c = ClientBuilder::from_env_vars(env(&[
        ("GENESYSCLOUD_REGION", "mypurecloud.jp"),
        ("GENESYSCLOUD_ACCESS_TOKEN", "tok"),
    ]))
    .unwrap()
    .region(Region::ApSoutheast2)
    .build()
    .unwrap();
    assert_eq!(c.base_url(), "https://api.mypurecloud.com.au");

    let err =
        ClientBuilder::from_env_vars(env(&[("GENESYSCLOUD_OAUTHCLIENT_ID", "abc")])).unwrap_err();
    assert!(err.to_string().contains("GENESYSCLOUD_OAUTHCLIENT_SECRET"));
    let err = ClientBuilder::from_env_vars(env(&[("GENESYSCLOUD_REGION", "nowhere")])).unwrap_err();
    assert!(err.to_string().contains("GENESYSCLOUD_REGION"));
    // A URL that is no known region (a local simulator) is the base URL.
    let c = ClientBuilder::from_env_vars(env(&[
        ("GENESYSCLOUD_REGION", "http://127.0.0.1:8787"),
        ("GENESYSCLOUD_ACCESS_TOKEN", "tok"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:8787");
}

#[tokio::test]
async fn the_token_request_goes_to_the_derived_login_url() {
    // The simulator serves /oauth/token on its own origin.
    let sim = start(sim()).await;
    let c = client(&sim);
    assert_eq!(c.login_url(), sim.base_url());
    c.history().send().await.unwrap();
    assert_eq!(sim.stats().requests(routes::TOKEN), 1);
}

#[test]
fn job_spec_rejects_duplicates_and_bad_input() {
    let err = JobSpec::builder("a")
        .parameter("x", 1)
        .parameter("x", 2)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    assert!(err.to_string().contains("duplicate"));
    assert!(JobSpec::builder("").build().is_err());
    assert!(JobSpec::builder("a").parameter("", "v").build().is_err());

    let yaml = "acceleratorId: a\nparameters:\n  x: 1\n  x: 2\n";
    assert!(
        serde_norway::from_str::<JobSpec>(yaml).is_err(),
        "duplicate YAML keys rejected"
    );
    let json = r#"{"acceleratorId":"a","parameters":{"x":"1","x":"2"}}"#;
    let err = serde_json::from_str::<JobSpec>(json).unwrap_err();
    assert!(
        err.to_string().contains("duplicate parameter name"),
        "{err}"
    );
    // Typos are not silently ignored.
    assert!(serde_json::from_str::<JobSpec>(r#"{"acceleratorID":"a"}"#).is_err());
    // Only scalars are values.
    assert!(
        serde_json::from_str::<JobSpec>(r#"{"acceleratorId":"a","parameters":{"x":[1]}}"#).is_err()
    );
}

#[test]
fn job_spec_round_trips_in_order_with_camel_case() {
    let spec = JobSpec::builder("queue-setup")
        .parameter("queueName", "Support")
        .parameter("count", 3)
        .parameter("enabled", true)
        .dry_run(true)
        .build()
        .unwrap();
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(
        json,
        r#"{"acceleratorId":"queue-setup","dryRun":true,"parameters":{"queueName":"Support","count":"3","enabled":"true"}}"#
    );
    let back: JobSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
    let minimal: JobSpec = serde_json::from_str(r#"{"acceleratorId":"a"}"#).unwrap();
    assert!(!minimal.dry_run && minimal.parameters.is_empty());
    let schema = serde_json::to_value(schemars::schema_for!(JobSpec)).unwrap();
    assert_eq!(schema["required"], serde_json::json!(["acceleratorId"]));
    assert!(schema["properties"]["parameters"]["additionalProperties"].is_object());
}

#[test]
fn sort_options_parse_leniently() {
    assert_eq!(
        "dateSubmitted".parse::<SortBy>().unwrap(),
        SortBy::DateSubmitted
    );
    assert_eq!(
        "date-submitted".parse::<SortBy>().unwrap(),
        SortBy::DateSubmitted
    );
    assert_eq!(
        "ACCELERATOR_ID".parse::<SortBy>().unwrap(),
        SortBy::AcceleratorId
    );
    assert!("size".parse::<SortBy>().is_err());
    assert_eq!("Desc".parse::<SortOrder>().unwrap(), SortOrder::Desc);
    assert_eq!(SortOrder::Asc.to_string(), "asc");
    assert_eq!(SortBy::SubmittedBy.to_string(), "submittedBy");
}

#[test]
fn public_types_are_thread_safe() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Client>();
    send_sync::<Error>();
    send_sync::<genesys_iac::Job>();
    send_sync::<JobSpec>();
    send_sync::<genesys_iac::HistoryRequest>();
    send_sync::<genesys_iac::JobRequest>();
    fn error_trait<T: std::error::Error + Send + Sync + 'static>() {}
    error_trait::<Error>();
}
