//! Functions: one shared build, each a binary of a crate under functions/, and
//! environment variables the settings read.

use std::collections::BTreeMap;

use super::*;

/// Binary name → the function crate that builds it.
fn function_binaries() -> BTreeMap<String, PathBuf> {
    let mut owners = BTreeMap::new();
    for dir in function_crates() {
        for binary in binaries_of(&dir) {
            if let Some(other) = owners.insert(binary.clone(), dir.clone()) {
                panic!(
                    "{binary} is built by {} and {}",
                    other.display(),
                    dir.display()
                );
            }
        }
    }
    owners
}

/// The binary a function names (Metadata.BuildProperties.Binary).
fn binary_of<'a>(id: &str, function: &'a Value) -> &'a str {
    function["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .unwrap_or_else(|| panic!("{id} names its binary (Metadata.BuildProperties.Binary)"))
}

#[test]
fn every_function_crate_is_deployed_by_a_function_in_the_template() {
    let template = template();
    let deployed: BTreeSet<PathBuf> = resources_of(&template, "AWS::Serverless::Function")
        .into_iter()
        .filter_map(|(id, function)| function_binaries().remove(binary_of(&id, function)))
        .collect();
    let crates = function_crates();
    assert!(!crates.is_empty(), "functions/ holds the function crates");
    let missing: Vec<_> = crates.difference(&deployed).collect();
    assert!(
        missing.is_empty(),
        "function crates whose binary no AWS::Serverless::Function builds: {missing:?}"
    );
}

#[test]
fn every_function_is_built_from_the_workspace_root_so_that_one_build_serves_all_and_sees_every_change()
 {
    // With CodeUri at a crate folder, SAM ran one build per crate (seven
    // target directories) and its cache hashed only that folder, missing every
    // change under shared/.
    let template = template();
    let binaries = function_binaries();
    for (id, function) in resources_of(&template, "AWS::Serverless::Function") {
        assert_eq!(
            code_uri_dir(&id, function),
            workspace_root().canonicalize().unwrap(),
            "{id}'s CodeUri is the workspace root"
        );
        assert_eq!(
            function["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id} is built with cargo-lambda"
        );
        let binary = binary_of(&id, function);
        assert!(
            binaries.contains_key(binary),
            "{id} wants binary {binary}, which no crate under functions/ builds ({:?})",
            binaries.keys()
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
        let architectures = function_property(&template, function, "Architectures");
        assert_eq!(
            architectures.as_sequence().map(Vec::len),
            Some(1),
            "{id} has one architecture"
        );
        assert_eq!(
            referenced_id(&architectures[0]).as_deref(),
            Some("Architecture"),
            "{id}'s architecture is the Architecture parameter"
        );
    }
    assert_eq!(
        template["Parameters"]["Architecture"]["Default"].as_str(),
        Some("arm64"),
        "AWS gets arm64 unless told otherwise"
    );
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
            // RUST_LOG is read by the telemetry filter and AWS_ENDPOINT_URL by the
            // AWS SDK itself, not by the settings struct.
            let known = matches!(name, "RUST_LOG" | "AWS_ENDPOINT_URL")
                || settings.contains(&format!("\"{name}\""));
            assert!(
                known,
                "{id} sets {name}, which no settings under shared/ read"
            );
        }
    }
}

/// The source of the function crate that builds `function`'s binary.
fn entry_source(id: &str, function: &Value) -> String {
    let binaries = function_binaries();
    let binary = binary_of(id, function);
    let dir = binaries
        .get(binary)
        .unwrap_or_else(|| panic!("{id}: no function crate builds {binary}"));
    let main = dir.join("src/main.rs");
    std::fs::read_to_string(&main).unwrap_or_else(|e| panic!("{}: {e}", main.display()))
}

/// The environment variables a function is given (its own and Globals').
fn variables_of(template: &Value, function: &Value) -> BTreeSet<String> {
    let own = &function["Properties"]["Environment"]["Variables"];
    let global = &template["Globals"]["Function"]["Environment"]["Variables"];
    [own, global]
        .into_iter()
        .filter_map(Value::as_mapping)
        .flat_map(|m| m.keys().filter_map(Value::as_str).map(str::to_owned))
        .collect()
}

/// A function that opens an SMS channel refuses to start without Twilio's
/// settings: the admin API, since staff write to customers, included.
#[test]
fn every_function_that_texts_is_given_twilio_and_where_its_callbacks_go() {
    let template = template();
    let mut senders = Vec::new();
    for (id, function) in resources_of(&template, "AWS::Serverless::Function") {
        if !entry_source(&id, function).contains("sms_channel(") {
            continue;
        }
        senders.push(id.clone());
        let given = variables_of(&template, function);
        for needed in [
            "TWILIO_ACCOUNT_SID",
            "TWILIO_PHONE_NUMBER",
            "TWILIO_MESSAGING_SERVICE_SID",
            "TWILIO_API_BASE",
            "PUBLIC_BASE_URL",
        ] {
            assert!(
                given.contains(needed),
                "{id} texts but is not given {needed}"
            );
        }
    }
    assert!(
        senders.iter().any(|id| id == "AdminApiFunction"),
        "staff write to customers through the admin API: {senders:?}"
    );
}

/// A function that runs the conversation hands some to staff: it is told the
/// staff topic and may publish to it (and to nothing else over SNS).
#[test]
fn every_function_that_converses_may_alert_staff_on_the_staff_topic() {
    let template = template();
    let mut conversing = 0;
    for (id, function) in resources_of(&template, "AWS::Serverless::Function") {
        if !entry_source(&id, function).contains(".conversation(") {
            continue;
        }
        conversing += 1;
        let variables = &function["Properties"]["Environment"]["Variables"];
        assert_eq!(
            referenced_id(&variables["STAFF_ALERT_TOPIC_ARN"]).as_deref(),
            Some("StaffAlertTopic"),
            "{id} is told the staff topic"
        );
        let role = referenced_id(&function["Properties"]["Role"]).expect("a role of its own");
        let statements: Vec<&Value> = resources(&template)[role.as_str()]["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
            .flat_map(|p| {
                p["PolicyDocument"]["Statement"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
            })
            .collect();
        let publishes: Vec<Option<String>> = statements
            .iter()
            .filter(|s| s["Action"].as_str() == Some("sns:Publish"))
            .map(|s| referenced_id(&s["Resource"]))
            .collect();
        assert_eq!(
            publishes,
            vec![Some("StaffAlertTopic".to_owned())],
            "{role} publishes to the staff topic only"
        );
    }
    assert_eq!(conversing, 1, "the conversation worker converses");
    let topic = &resources(&template)["StaffAlertTopic"];
    assert!(
        topic["Properties"]["KmsMasterKeyId"].is_string(),
        "alerts carry phone numbers and messages: the topic is encrypted"
    );
}
