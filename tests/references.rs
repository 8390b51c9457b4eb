//! Every path a doc or a comment names exists: a newcomer following `docs/twilio.md`,
//! `testkit/examples/twilio_standin.rs` or `(BEHAVIOUR.md, "Japan")` finds it. Checked: the
//! repository's paths written from its root (`docs/…`, `src/…`, `server/…`, …) or from the crate
//! the file is in (`src/main.rs` in `server/Cargo.toml`), the links between the Markdown files,
//! and every section of `testdata/twilio/BEHAVIOUR.md` a comment cites.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Where the repository's own paths begin.
const TOP: [&str; 12] = [
    "docs/",
    "testdata/",
    "src/",
    "server/",
    "app/",
    "scripts/",
    "deploy/",
    "end2end/",
    "testkit/",
    "style/",
    "public/",
    ".ci/",
];

/// The files read: the repository's text, not what is built or installed, nor the copies of
/// Twilio's and LINE's files (their paths are theirs).
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            let skipped = ["target", "node_modules", ".git", "data", "line", "screens"];
            let copies = path.ends_with("testdata/twilio") || path.ends_with("testdata/line");
            if !skipped.contains(&name.as_str()) && !copies {
                files(&path, out);
            }
        } else if name == "Caddyfile"
            || [
                ".rs", ".md", ".lua", ".mjs", ".sh", ".toml", ".css", ".conf", ".service", ".timer",
            ]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            out.push(path);
        }
    }
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./@-".contains(c)
}

/// The repository paths `text` names (from the root or the crate), with where each is.
fn named_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for top in TOP {
        for (at, _) in text.match_indices(top) {
            let before = text[..at].chars().next_back();
            // a part of a longer path or of an address (twilio.com/docs/…) is not one of ours
            if before.is_some_and(|c| is_path_char(c) || c == ':') {
                continue;
            }
            let rest = &text[at..];
            let end = rest.find(|c: char| !is_path_char(c)).unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches(['.', '-']);
            // a pattern (`src/store/lua/*.lua`, `target/site/pkg/{name}.wasm`, `$ROOT/…`)
            if rest[end..].starts_with(['{', '*', '<', '$']) || path.len() <= top.len() {
                continue;
            }
            found.push((at, path.to_owned()));
        }
    }
    found
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

#[test]
fn every_path_a_doc_or_comment_names_exists() {
    let root = Path::new(ROOT);
    let mut all = Vec::new();
    files(root, &mut all);
    assert!(all.len() > 100, "the repository's files: {}", all.len());
    let mut missing = Vec::new();
    let mut checked = 0;
    // the folders .gitignore names (`/end2end/node_modules`): made by a run, absent from a clone
    let ignored: Vec<String> = std::fs::read_to_string(root.join(".gitignore"))
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix('/'))
        .map(str::to_owned)
        .collect();
    assert!(
        ignored.iter().any(|i| i == "end2end/node_modules"),
        "{ignored:?}"
    );
    // this file's own examples are examples
    for file in all.iter().filter(|f| !f.ends_with("tests/references.rs")) {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let relative = file.strip_prefix(root).unwrap();
        // the crate the file is in: `server/Cargo.toml` names `src/main.rs`
        let crate_dir = relative
            .components()
            .next()
            .map(|c| root.join(c.as_os_str()))
            .filter(|dir| dir.join("Cargo.toml").exists() && dir != root);
        for (at, path) in named_paths(&text) {
            // what a run makes (node_modules, screenshots, target) is not in a clean clone
            if ignored.iter().any(|made| path.starts_with(made.as_str())) {
                continue;
            }
            checked += 1;
            let exists = root.join(&path).exists()
                || crate_dir
                    .as_ref()
                    .is_some_and(|dir| dir.join(&path).exists());
            if !exists {
                missing.push(format!(
                    "{}:{}: {path}",
                    relative.display(),
                    line_of(&text, at)
                ));
            }
        }
        // Markdown links to a neighbour: `[deployment](deployment.md)`
        if relative.extension().is_some_and(|e| e == "md") {
            for (at, _) in text.match_indices("](") {
                let target = &text[at + 2..];
                let target = &target[..target.find(')').unwrap_or(0)];
                let target = target.split('#').next().unwrap_or_default();
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                if !file.parent().unwrap().join(target).exists() {
                    missing.push(format!(
                        "{}:{}: {target}",
                        relative.display(),
                        line_of(&text, at)
                    ));
                }
            }
        }
    }
    assert!(checked >= 100, "paths checked: {checked}");
    assert!(
        missing.is_empty(),
        "named but not there:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_section_of_behaviour_md_a_comment_cites_is_there() {
    let root = Path::new(ROOT);
    let behaviour = std::fs::read_to_string(root.join("testdata/twilio/BEHAVIOUR.md")).unwrap();
    let headings: Vec<&str> = behaviour
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| h.trim().trim_matches('`'))
        .collect();
    let mut all = Vec::new();
    files(root, &mut all);
    let mut cited = 0;
    let mut missing = Vec::new();
    for file in all.iter().filter(|f| !f.ends_with("tests/references.rs")) {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        // `(BEHAVIOUR.md, "Japan")`, `(BEHAVIOUR.md "Webhooks")`, across a comment's line break
        let flat = text
            .replace("\n", " ")
            .replace("//!", "")
            .replace("///", "")
            .replace("//", "");
        for (at, _) in flat.match_indices("BEHAVIOUR.md") {
            let rest = flat[at + "BEHAVIOUR.md".len()..].trim_start_matches([',', ' ']);
            let Some(quoted) = rest.strip_prefix('"') else {
                continue;
            };
            let Some(end) = quoted.find('"') else {
                continue;
            };
            let section = quoted[..end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let section = section.trim_matches('`').to_owned();
            cited += 1;
            if !headings.contains(&section.as_str()) {
                missing.push(format!(
                    "{}: {section:?}",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(cited >= 10, "citations found: {cited}");
    assert!(
        missing.is_empty(),
        "cited, not in BEHAVIOUR.md ({headings:?}):\n{}",
        missing.join("\n")
    );
}
