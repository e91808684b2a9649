//! Queues: sized for their consumers, each with a dead-letter queue.

use super::*;

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
