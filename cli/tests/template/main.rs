//! The SAM template (template.yaml) against the workspace: every function crate is
//! deployed, every deployed function is a crate that builds that binary, the
//! queues are sized for their consumers, and the environment names are the ones
//! the settings read. (cfn-lint checks the template against CloudFormation itself;
//! scripts/test runs it.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ sits in the workspace")
        .to_path_buf()
}

fn template() -> Value {
    let path = workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // CloudFormation's short forms (!Ref, !Sub, !GetAtt, ...) arrive as tagged values.
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
}

fn resources(template: &Value) -> &Mapping {
    template["Resources"]
        .as_mapping()
        .expect("the template has Resources")
}

/// (logical id, resource) of every resource of `kind`.
fn resources_of<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
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
fn function_property<'a>(template: &'a Value, function: &'a Value, name: &str) -> &'a Value {
    match &function["Properties"][name] {
        Value::Null => &template["Globals"]["Function"][name],
        value => value,
    }
}

/// The logical id a `!GetAtt Id.Attr` / `Fn::GetAtt: [Id, Attr]` / `!Ref Id` names.
fn referenced_id(value: &Value) -> Option<String> {
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

fn number(value: &Value, what: &str) -> u64 {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("{what} must be a literal number, found {value:?}"))
}

/// The function crates: folders under functions/ with a Cargo.toml.
fn function_crates() -> BTreeSet<PathBuf> {
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
fn binaries_of(crate_dir: &Path) -> BTreeSet<String> {
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

fn code_uri_dir(function_id: &str, function: &Value) -> PathBuf {
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

#[test]
fn every_function_crate_is_deployed_by_a_function_in_the_template() {
    let template = template();
    let deployed: BTreeSet<PathBuf> = resources_of(&template, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, function)| code_uri_dir(&id, function))
        .collect();
    let crates = function_crates();
    assert!(!crates.is_empty(), "functions/ holds the function crates");
    let missing: Vec<_> = crates.difference(&deployed).collect();
    assert!(
        missing.is_empty(),
        "function crates without an AWS::Serverless::Function whose CodeUri points at them: {missing:?}"
    );
}

#[test]
fn every_function_in_the_template_builds_a_binary_of_the_crate_its_code_uri_names() {
    let template = template();
    let crates = function_crates();
    for (id, function) in resources_of(&template, "AWS::Serverless::Function") {
        let dir = code_uri_dir(&id, function);
        assert!(
            crates.contains(&dir),
            "{id}'s CodeUri {} is not a crate under functions/",
            dir.display()
        );
        assert_eq!(
            function["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id} is built with cargo-lambda"
        );
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} names its binary (Metadata.BuildProperties.Binary)"));
        let binaries = binaries_of(&dir);
        assert!(
            binaries.contains(binary),
            "{id} wants binary {binary}, but {} builds {binaries:?}",
            dir.display()
        );
        assert_eq!(
            function_property(&template, function, "Handler").as_str(),
            Some("bootstrap"),
            "{id}'s handler"
        );
        assert_eq!(
            function_property(&template, function, "Runtime").as_str(),
            Some("provided.al2023"),
            "{id}'s runtime"
        );
        assert_eq!(
            function_property(&template, function, "Architectures"),
            &Value::Sequence(vec![Value::from("arm64")]),
            "{id} runs on arm64"
        );
    }
}

#[test]
fn queues_hold_messages_six_times_as_long_as_their_consumer_may_run_and_report_partial_failures() {
    let template = template();
    let mut consumers = 0;
    for (id, function) in resources_of(&template, "AWS::Serverless::Function") {
        let timeout = number(
            function_property(&template, function, "Timeout"),
            &format!("{id}'s Timeout"),
        );
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, event) in events {
            if event["Type"].as_str() != Some("SQS") {
                continue;
            }
            consumers += 1;
            let queue_id = referenced_id(&event["Properties"]["Queue"])
                .unwrap_or_else(|| panic!("{id}.{name:?} names its queue with !GetAtt Queue.Arn"));
            let queue = &resources(&template)[queue_id.as_str()];
            let visibility = number(
                &queue["Properties"]["VisibilityTimeout"],
                &format!("{queue_id}'s VisibilityTimeout"),
            );
            assert!(
                visibility >= 6 * timeout,
                "{queue_id}'s VisibilityTimeout {visibility} s < 6 x {id}'s Timeout {timeout} s"
            );
            let responses = event["Properties"]["FunctionResponseTypes"]
                .as_sequence()
                .cloned()
                .unwrap_or_default();
            assert!(
                responses.contains(&Value::from("ReportBatchItemFailures")),
                "{id}.{name:?} reports batch item failures"
            );
        }
    }
    assert!(
        consumers > 0,
        "the conversation worker consumes the inbound queue"
    );
}

#[test]
fn every_queue_has_a_dead_letter_queue_of_its_own_kind_after_five_receives() {
    let template = template();
    let queues = resources_of(&template, "AWS::SQS::Queue");
    let dead_letter_ids: BTreeSet<String> = queues
        .iter()
        .filter_map(|(_, q)| {
            referenced_id(&q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        })
        .collect();
    for (id, queue) in &queues {
        if dead_letter_ids.contains(id) {
            continue;
        }
        let redrive = &queue["Properties"]["RedrivePolicy"];
        let dlq_id = referenced_id(&redrive["deadLetterTargetArn"])
            .unwrap_or_else(|| panic!("{id} has a RedrivePolicy with a dead-letter queue"));
        assert_eq!(
            number(&redrive["maxReceiveCount"], "maxReceiveCount"),
            5,
            "{id}'s maxReceiveCount"
        );
        let fifo = |q: &Value| q["Properties"]["FifoQueue"].as_bool().unwrap_or(false);
        assert_eq!(
            fifo(queue),
            fifo(&resources(&template)[dlq_id.as_str()]),
            "{id} and its dead-letter queue {dlq_id} are both FIFO or both standard"
        );
    }
}

/// The text of every Rust source under shared/*/src (where settings are read).
fn shared_sources() -> String {
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

#[test]
fn every_environment_variable_the_template_sets_is_one_the_settings_read() {
    let template = template();
    // smsbot_config::Settings, and the settings of a part (e.g. the campaign engine's).
    let settings = shared_sources();
    let mut functions = resources_of(&template, "AWS::Serverless::Function");
    let globals = &template["Globals"]["Function"];
    functions.push(("Globals".to_owned(), globals));
    for (id, function) in functions {
        let variables = match id.as_str() {
            "Globals" => &function["Environment"]["Variables"],
            _ => &function["Properties"]["Environment"]["Variables"],
        };
        let Some(variables) = variables.as_mapping() else {
            continue;
        };
        for name in variables.keys().map(|k| k.as_str().expect("a name")) {
            // RUST_LOG is read by the telemetry filter, not the settings struct.
            let known = name == "RUST_LOG" || settings.contains(&format!("\"{name}\""));
            assert!(
                known,
                "{id} sets {name}, which no settings under shared/ read"
            );
        }
    }
}

#[test]
fn the_outputs_give_twilio_its_webhook_urls_and_the_admin_its_base_url() {
    let template = template();
    for output in ["InboundWebhookUrl", "StatusCallbackUrl", "AdminApiBaseUrl"] {
        assert!(
            !template["Outputs"][output]["Value"].is_null(),
            "output {output}"
        );
    }
    let routes: BTreeSet<String> = resources_of(&template, "AWS::ApiGatewayV2::Route")
        .into_iter()
        .filter_map(|(_, route)| route["Properties"]["RouteKey"].as_str().map(str::to_owned))
        .collect();
    for route in [
        "POST /webhooks/sms/inbound",
        "POST /webhooks/sms/status",
        "ANY /api/{proxy+}",
    ] {
        assert!(routes.contains(route), "route {route} in {routes:?}");
    }
}
