//! Bytes → str → `Region::from_str`, and `ClientBuilder::base_url(..)`
//! validation. Parsing may fail; it must never panic. A region that parses
//! round-trips through its key, domain and API URL; a base URL that is
//! accepted is https, or http to a loopback host.
#![no_main]

use genesys_iac::{Client, Region};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(region) = s.parse::<Region>() {
        assert_eq!(region.key().parse::<Region>().ok(), Some(region));
        assert_eq!(region.domain().parse::<Region>().ok(), Some(region));
        assert_eq!(region.api_url().parse::<Region>().ok(), Some(region));
    }
    // Building a client sends nothing; only the URL checks can fail here.
    if let Ok(client) = Client::builder()
        .base_url(s)
        .access_token("fuzz-token")
        .build()
    {
        let base = client.base_url();
        assert!(
            base.starts_with("https://") || base.starts_with("http://"),
            "accepted base URL {base:?} for {s:?}"
        );
        assert!(!base.ends_with('/'), "base URL {base:?} ends with a slash");
    }
});
