//! What a first deploy needs: samconfig.toml without cache, example values or
//! unquoted spaces; resources that survive a failed create; a public health
//! check; a ceiling on every database client; tracing as one switch.

use super::*;

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

fn samconfig() -> toml::Table {
    let path = workspace_root().join("samconfig.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse().expect("samconfig.toml is TOML")
}

/// Every `[<env>.<command>.parameters]` table of samconfig.toml, named `env.command`.
fn samconfig_sections() -> Vec<(String, toml::Table)> {
    let mut sections = Vec::new();
    for (env, commands) in samconfig() {
        let Some(commands) = commands.as_table() else {
            continue;
        };
        for (command, table) in commands {
            if let Some(parameters) = table.get("parameters").and_then(toml::Value::as_table) {
                sections.push((format!("{env}.{command}"), parameters.clone()));
            }
        }
    }
    sections
}

#[test]
fn no_sam_build_reuses_a_cached_artifact() {
    // SAM's cache hashes a function's CodeUri only; it shipped stale code.
    for (section, parameters) in samconfig_sections() {
        assert_ne!(
            parameters.get("cached").and_then(toml::Value::as_bool),
            Some(true),
            "[{section}.parameters] turns on SAM's build cache"
        );
    }
}

/// `Key=Value` items of a parameter_overrides list, with the value as written.
fn overrides(section: &str, parameters: &toml::Table) -> Vec<(String, String)> {
    let Some(list) = parameters.get("parameter_overrides") else {
        return Vec::new();
    };
    let items = list
        .as_array()
        .unwrap_or_else(|| panic!("[{section}] parameter_overrides is a list"));
    items
        .iter()
        .map(|item| {
            let item = item.as_str().expect("an override is a string");
            let (key, value) = item
                .split_once('=')
                .unwrap_or_else(|| panic!("[{section}] override {item:?} is Key=Value"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

#[test]
fn parameter_overrides_name_template_parameters_and_quote_values_with_spaces() {
    // SAM joins the list with spaces and splits it again: `BusinessName=Demo
    // Clinic` deployed "Demo". (scripts/sam-local parses them with SAM itself.)
    let template = template();
    let parameters = template["Parameters"].as_mapping().unwrap();
    for (section, table) in samconfig_sections() {
        for (key, value) in overrides(&section, &table) {
            assert!(
                parameters.contains_key(key.as_str()),
                "[{section}] overrides {key}, which the template does not declare"
            );
            let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
            assert!(
                quoted || !value.chars().any(char::is_whitespace),
                "[{section}] {key}={value} has a space but no quotes"
            );
        }
    }
}

#[test]
fn no_environment_deploys_example_values_and_the_account_values_are_asked_for() {
    let example = [
        "AC00000000000000000000000000000000",
        "MG00000000000000000000000000000000",
        "example.com",
        "+1555555",
    ];
    for (section, table) in samconfig_sections() {
        for (key, value) in overrides(&section, &table) {
            for placeholder in example {
                assert!(
                    !value.contains(placeholder),
                    "[{section}] {key}={value} is an example value"
                );
            }
        }
    }
    // No default: `sam deploy --guided` asks, a plain deploy stops at once.
    let template = template();
    assert!(
        template["Parameters"]["TwilioAccountSid"]["Default"].is_null(),
        "TwilioAccountSid has no default"
    );
    let rules = serde_yaml::to_string(&template["Rules"]).unwrap();
    assert!(
        rules.contains("AC00000000000000000000000000000000"),
        "a rule refuses the documentation's example SID:\n{rules}"
    );
    let prod = &template["Rules"]["ProdIsWatched"];
    assert!(
        serde_yaml::to_string(prod).unwrap().contains("AlarmEmail"),
        "prod cannot deploy without somebody to alarm"
    );
}

#[test]
fn what_a_failed_first_create_leaves_behind_cannot_break_the_next_one() {
    let template = template();
    // Kept when the stack is deleted, removed when its first create fails.
    for id in [
        "AppSecret",
        "InboundDeadLetterQueue",
        "OutboundDeadLetterQueue",
    ] {
        assert_eq!(
            template["Resources"][id]["DeletionPolicy"].as_str(),
            Some("RetainExceptOnCreate"),
            "{id}'s DeletionPolicy"
        );
    }
    // A fixed name collides with a secret a deleted stack kept.
    for (id, secret) in resources_of(&template, "AWS::SecretsManager::Secret") {
        assert!(
            secret["Properties"]["Name"].is_null(),
            "{id} lets CloudFormation name it"
        );
    }
}

#[test]
fn the_health_check_is_public_and_everything_else_under_api_needs_the_key() {
    let template = template();
    let routes = resources_of(&template, "AWS::ApiGatewayV2::Route");
    let route = |key: &str| {
        routes
            .iter()
            .find(|(_, r)| r["Properties"]["RouteKey"].as_str() == Some(key))
            .map(|(_, r)| &r["Properties"])
            .unwrap_or_else(|| panic!("a route {key}"))
    };
    let health = route("GET /api/health");
    assert_eq!(health["AuthorizationType"].as_str(), Some("NONE"));
    let admin = route("ANY /api/{proxy+}");
    assert_eq!(admin["AuthorizationType"].as_str(), Some("CUSTOM"));
    assert_eq!(
        serde_yaml::to_string(&health["Target"]).unwrap(),
        serde_yaml::to_string(&admin["Target"]).unwrap(),
        "the health check is served by the admin API"
    );
}

#[test]
fn calendar_files_are_public_and_served_by_the_admin_api() {
    // A calendar app cannot send the admin key: the token in the URL is the key.
    let template = template();
    let routes = resources_of(&template, "AWS::ApiGatewayV2::Route");
    let route = |key: &str| {
        routes
            .iter()
            .find(|(_, r)| r["Properties"]["RouteKey"].as_str() == Some(key))
            .map(|(_, r)| &r["Properties"])
            .unwrap_or_else(|| panic!("a route {key}"))
    };
    let admin = route("ANY /api/{proxy+}");
    for key in [
        "GET /api/calendars/feeds/{file}",
        "GET /api/calendars/appointments/{file}",
    ] {
        let calendar = route(key);
        assert_eq!(
            calendar["AuthorizationType"].as_str(),
            Some("NONE"),
            "{key}"
        );
        assert_eq!(
            serde_yaml::to_string(&calendar["Target"]).unwrap(),
            serde_yaml::to_string(&admin["Target"]).unwrap(),
            "{key} is served by the admin API"
        );
    }
}

#[test]
fn every_function_that_opens_database_connections_has_a_ceiling_on_its_concurrency() {
    // Connections in use = pool size × concurrent containers, for every function:
    // each needs a bound (docs/deploy.md adds them up).
    let template = template();
    for (id, function) in resources_of(&template, "AWS::Serverless::Function") {
        let properties = &function["Properties"];
        if properties["Environment"]["Variables"]["DATABASE_POOL_SIZE"].is_null() {
            continue;
        }
        let reserved = !properties["ReservedConcurrentExecutions"].is_null();
        let events = properties["Events"].as_mapping();
        let queue_capped = events.is_some_and(|events| {
            events.values().any(|e| {
                e["Type"].as_str() == Some("SQS")
                    && !e["Properties"]["ScalingConfig"]["MaximumConcurrency"].is_null()
            })
        });
        // One run per tick (a tick's timeout is below its period).
        let scheduled = events.is_some_and(|events| {
            events
                .values()
                .any(|e| e["Type"].as_str() == Some("ScheduleV2"))
        });
        let custom_resource = id == "MigrateFunction";
        assert!(
            reserved || queue_capped || scheduled || custom_resource,
            "{id} opens database connections with no ceiling on its concurrency"
        );
    }
    for id in ["WebhookFunction", "AdminApiFunction"] {
        assert!(
            !template["Resources"][id]["Properties"]["ReservedConcurrentExecutions"].is_null(),
            "{id} reserves (and so caps) its concurrency"
        );
    }
}

#[test]
fn tracing_is_one_switch_and_every_role_may_write_traces_when_it_is_on() {
    let template = template();
    assert_eq!(
        referenced_id(&template["Globals"]["Function"]["Tracing"]).as_deref(),
        Some("Tracing")
    );
    for (id, role) in resources_of(&template, "AWS::IAM::Role") {
        let policies = serde_yaml::to_string(&role["Properties"]["ManagedPolicyArns"]).unwrap();
        assert!(
            policies.contains("AWSXRayDaemonWriteAccess") && policies.contains("HasTracing"),
            "{id} may write traces when Tracing is Active:\n{policies}"
        );
    }
}

#[test]
fn the_webhook_url_given_to_twilio_asks_it_to_retry_a_server_error() {
    // Twilio never retries a messaging webhook's 5xx unless its URL says so; the
    // webhook accepts signatures over the URL with this fragment.
    let template = template();
    let value = serde_yaml::to_string(&template["Outputs"]["InboundWebhookUrl"]["Value"]).unwrap();
    let fragment = format!(
        "/webhooks/sms/inbound#{}",
        smsbot_twilio::ConnectionOverrides::default().as_str()
    );
    assert!(value.contains(&fragment), "{fragment} in {value}");
}

#[test]
fn migrations_run_inside_the_deploy_before_any_function_gets_code_that_needs_them() {
    let template = template();
    let migrations = &template["Resources"]["DatabaseMigrations"];
    assert_eq!(
        referenced_id(&migrations["Properties"]["ServiceToken"]).as_deref(),
        Some("MigrateFunction.Alias"),
        "a stable service token"
    );
    assert_eq!(
        referenced_id(&migrations["Properties"]["FunctionVersion"]).as_deref(),
        Some("MigrateFunction.Version"),
        "new code (new migrations) updates the resource, which runs them"
    );
    let handle = serde_yaml::to_string(&template["Resources"]["MigrationsApplied"]).unwrap();
    assert!(handle.contains("DatabaseMigrations"), "{handle}");
    for (id, function) in resources_of(&template, "AWS::Serverless::Function") {
        let uses_database =
            !function["Properties"]["Environment"]["Variables"]["DATABASE_POOL_SIZE"].is_null();
        if id == "MigrateFunction" || !uses_database {
            continue;
        }
        assert_eq!(
            function["DependsOn"].as_str(),
            Some("MigrationsApplied"),
            "{id} is updated after the migrations"
        );
    }
}

#[test]
fn a_run_of_refused_signatures_and_every_inbound_fallback_raise_an_alarm() {
    let template = template();
    let alarms = resources_of(&template, "AWS::CloudWatch::Alarm");
    for (metric, function) in [
        ("WebhookSignatureRejected", "WebhookFunction"),
        ("InboundParked", "WebhookFunction"),
        ("InboundRefused", "WebhookFunction"),
        ("InboundDrainFailed", "HousekeepingFunction"),
    ] {
        let watched = alarms.iter().any(|(_, alarm)| {
            let p = &alarm["Properties"];
            p["Namespace"].as_str() == Some(smsbot_config::metrics::NAMESPACE)
                && p["MetricName"].as_str() == Some(metric)
                && referenced_id(&p["Dimensions"][0]["Value"]).as_deref() == Some(function)
        });
        assert!(watched, "an alarm on {function}'s {metric}");
    }
}
