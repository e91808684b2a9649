//! The answer of an SQS-triggered Lambda with `ReportBatchItemFailures`: the ids
//! of the records to deliver again. Built in one place so every queue handler
//! reports failures the same way.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};

/// A response naming `failed` message ids (empty: the whole batch succeeded).
pub fn batch_response(failed: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for id in failed {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}
