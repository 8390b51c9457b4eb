//! Generates the `i18n` module from the locale files in `locales/` (leptos_i18n). A page using a
//! key that no file defines fails to compile (the `t!` macros); a key, or a `{{ placeholder }}`,
//! that one language has and another lacks fails this build script.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::collections::BTreeSet;
use std::error::Error;
use std::path::{Path, PathBuf};

const DEFAULT: &str = "ja";
const OTHERS: [&str; 3] = ["en", "zh", "ko"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let locales = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    check_same_keys(&locales)?;
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    let options = ParseOptions::default().interpolate_display(true);
    let config = Config::new(DEFAULT)?
        .add_locales(OTHERS)?
        .parse_options(options);
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(out)?;
    Ok(())
}

/// Every key of every language, with the placeholders of its text: `fortune.kyo.m0 {}`.
fn entries(path: &Path) -> Result<BTreeSet<String>, Box<dyn Error>> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&path, value, out);
                }
            }
            other => {
                let text = other.as_str().unwrap_or_default();
                let placeholders: BTreeSet<&str> = text
                    .split("{{")
                    .skip(1)
                    .filter_map(|rest| rest.split("}}").next())
                    .map(str::trim)
                    .collect();
                out.insert(format!("{prefix} {placeholders:?}"));
            }
        }
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BTreeSet::new();
    walk("", &json, &mut out);
    Ok(out)
}

fn check_same_keys(dir: &Path) -> Result<(), Box<dyn Error>> {
    let reference = entries(&dir.join(format!("{DEFAULT}.json")))?;
    for locale in OTHERS {
        let entries = entries(&dir.join(format!("{locale}.json")))?;
        let missing: Vec<_> = reference.difference(&entries).collect();
        let extra: Vec<_> = entries.difference(&reference).collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(format!(
                "locales/{locale}.json differs from {DEFAULT}.json: missing {missing:?}, extra {extra:?}"
            )
            .into());
        }
    }
    Ok(())
}
