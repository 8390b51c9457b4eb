//! `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, the full URL + every parameter, names sorted,
//! each name's values sorted, as name + value)). Twilio may sign the URL with or without its
//! default port; both are accepted. The comparison takes the same time whatever the input.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The signature Twilio computes for a request to `url` with form `params` (repeated keys kept).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `given` (the header) is Twilio's signature of the request, for `url` as it is, or with
/// its default port added or removed.
pub fn is_valid(auth_token: &str, url: &str, params: &[(String, String)], given: &str) -> bool {
    url_variants(url).iter().any(|u| {
        crate::secret::constant_time_eq(
            signature(auth_token, u, params).as_bytes(),
            given.as_bytes(),
        )
    })
}

/// `url`, and the same with the scheme's default port toggled.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return variants,
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let toggled = match authority.strip_suffix(&format!(":{port}")) {
        Some(host) => host.to_owned(),
        None if !authority.contains(':') => format!("{authority}:{port}"),
        None => return variants,
    };
    variants.push(format!("{scheme}://{toggled}{path}"));
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every vector Twilio's own helper library computed (`testdata/twilio/signature-vectors.json`).
    #[test]
    fn every_vector_of_twilios_library_is_matched() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/twilio/signature-vectors.json"
        );
        let text = std::fs::read_to_string(path).expect("the Twilio vectors");
        let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut checked = 0;
        for v in vectors["vectors"].as_array().unwrap() {
            let token = v["auth_token"].as_str().unwrap();
            let url = v["url"].as_str().unwrap();
            let expected = v["signature"].as_str().unwrap();
            let params: Vec<(String, String)> = v["params"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(body) = v["body"].as_str() {
                // a JSON body is signed through the URL's bodySHA256
                use sha2::Digest;
                let hex: String = sha2::Sha256::digest(body.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(hex, v["body_sha256_hex"].as_str().unwrap());
                assert!(url.ends_with(&format!("bodySHA256={hex}")));
            }
            assert_eq!(signature(token, url, &params), expected, "{}", v["name"]);
            assert!(is_valid(token, url, &params, expected));
            assert!(!is_valid(token, url, &params, &expected.replace('=', "A")));
            assert!(!is_valid("wrong", url, &params, expected));
            checked += 1;
        }
        assert!(checked >= 5, "all vectors read");
    }

    #[test]
    fn a_changed_parameter_or_url_breaks_the_signature() {
        let params = vec![("Body".to_owned(), "受付".to_owned())];
        let good = signature("token", "https://a.example/twilio/sms", &params);
        assert!(
            is_valid("token", "https://a.example:443/twilio/sms", &params, &good),
            "default port"
        );
        assert!(!is_valid(
            "token",
            "https://a.example/twilio/sms?x=1",
            &params,
            &good
        ));
        let changed = vec![("Body".to_owned(), "キャンセル".to_owned())];
        assert!(!is_valid(
            "token",
            "https://a.example/twilio/sms",
            &changed,
            &good
        ));
    }
}
