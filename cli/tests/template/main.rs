//! The SAM template (template.yaml) and samconfig.toml against the workspace and
//! against what a first deploy needs: every function crate is deployed from one
//! shared build, the queues are sized for their consumers, the environment names
//! are the ones the settings read, and nothing in them makes a first
//! `sam build` / `sam deploy` fail or misbehave. (cfn-lint checks the template
//! against CloudFormation itself and scripts/sam-local builds and runs it; both
//! are steps of scripts/test.)

mod deploy;
mod functions;
mod queues;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ sits in the workspace")
        .to_path_buf()
}

pub(crate) fn template() -> Value {
    let path = workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // CloudFormation's short forms (!Ref, !Sub, !GetAtt, ...) arrive as tagged values.
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
}

pub(crate) fn resources(template: &Value) -> &Mapping {
    template["Resources"]
        .as_mapping()
        .expect("the template has Resources")
}

/// (logical id, resource) of every resource of `kind`.
pub(crate) fn resources_of<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    resources(template)
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .map(|(id, resource)| {
            (
                id.as_str().expect("logical ids are strings").to_owned(),
                resource,
            )
        })
        .collect()
}

/// A function's property, falling back to Globals.Function.
pub(crate) fn function_property<'a>(
    template: &'a Value,
    function: &'a Value,
    name: &str,
) -> &'a Value {
    match &function["Properties"][name] {
        Value::Null => &template["Globals"]["Function"][name],
        value => value,
    }
}

/// The logical id a `!GetAtt Id.Attr` / `Fn::GetAtt: [Id, Attr]` / `!Ref Id` names.
pub(crate) fn referenced_id(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            match (tag.trim_start_matches('!'), &tagged.value) {
                ("GetAtt", Value::String(s)) => s.split('.').next().map(str::to_owned),
                ("GetAtt", Value::Sequence(parts)) => {
                    parts.first().and_then(Value::as_str).map(str::to_owned)
                }
                ("Ref", Value::String(s)) => Some(s.clone()),
                _ => None,
            }
        }
        Value::Mapping(map) => {
            if let Some(Value::Sequence(parts)) = map.get("Fn::GetAtt") {
                parts.first().and_then(Value::as_str).map(str::to_owned)
            } else {
                map.get("Ref").and_then(Value::as_str).map(str::to_owned)
            }
        }
        _ => None,
    }
}

pub(crate) fn number(value: &Value, what: &str) -> u64 {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("{what} must be a literal number, found {value:?}"))
}

/// The function crates: folders under functions/ with a Cargo.toml.
pub(crate) fn function_crates() -> BTreeSet<PathBuf> {
    let dir = workspace_root().join("functions");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .map(|path| path.canonicalize().expect("an existing folder"))
        .collect()
}

/// Binary names a crate builds: its `[[bin]]` names, and the package name when it
/// has src/main.rs. (A line-based read of Cargo.toml, enough for our manifests.)
pub(crate) fn binaries_of(crate_dir: &Path) -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).expect("Cargo.toml");
    let mut section = String::new();
    let mut binaries = BTreeSet::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        let Some(value) = line
            .strip_prefix("name")
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix('='))
        else {
            continue;
        };
        let name = value.trim().trim_matches('"').to_owned();
        let is_package = section == "[package]" && crate_dir.join("src/main.rs").is_file();
        if is_package || section == "[[bin]]" {
            binaries.insert(name);
        }
    }
    binaries
}

pub(crate) fn code_uri_dir(function_id: &str, function: &Value) -> PathBuf {
    let uri = function["Properties"]["CodeUri"]
        .as_str()
        .unwrap_or_else(|| panic!("{function_id} has a literal CodeUri"));
    let dir = workspace_root().join(uri);
    dir.canonicalize().unwrap_or_else(|e| {
        panic!(
            "{function_id}'s CodeUri {uri} is not a folder ({}: {e})",
            dir.display()
        )
    })
}

/// The text of every Rust source under shared/*/src (where settings are read).
pub(crate) fn shared_sources() -> String {
    fn walk(dir: &Path, text: &mut String) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, text);
            } else if path.extension().is_some_and(|e| e == "rs") {
                text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut text = String::new();
    let shared = workspace_root().join("shared");
    for entry in std::fs::read_dir(&shared).expect("shared/").flatten() {
        walk(&entry.path().join("src"), &mut text);
    }
    text
}
