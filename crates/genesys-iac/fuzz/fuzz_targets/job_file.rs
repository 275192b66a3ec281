//! Bytes → `JobSpec` from a YAML or JSON job file, then `validate` and
//! `to_input`. A spec that parses must re-serialise and parse back equal.
#![no_main]

use genesys_iac::JobSpec;
use libfuzzer_sys::fuzz_target;

fn check(spec: &JobSpec) {
    let _ = spec.validate();
    let input = spec.to_input();
    assert_eq!(input.parameters.len(), spec.parameters.len());
    let json = serde_json::to_string(spec).expect("a spec serialises to JSON");
    let back: JobSpec = serde_json::from_str(&json).expect("JSON round trip");
    assert_eq!(&back, spec);
    let yaml = serde_norway::to_string(spec).expect("a spec serialises to YAML");
    let back: JobSpec = serde_norway::from_str(&yaml).expect("YAML round trip");
    assert_eq!(&back, spec);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(spec) = serde_json::from_slice::<JobSpec>(data) {
        check(&spec);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(spec) = serde_norway::from_str::<JobSpec>(text)
    {
        check(&spec);
    }
});
