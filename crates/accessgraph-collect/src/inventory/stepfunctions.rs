//! Step Functions state machines: the role each runs as. Definitions are left out (they can hold
//! parameters and credentials).

use aws_config::SdkConfig;
use serde_json::Value;

use crate::error::{CallError, failed};
use crate::json::Object;

/// A list of `stepfunctions describe-state-machine` outputs, one per state machine.
pub(crate) async fn state_machines(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_sfn::Client::new(config);
    let mut arns = Vec::new();
    let mut pages = client.list_state_machines().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("states:ListStateMachines"))?;
        arns.extend(
            page.state_machines
                .into_iter()
                .map(|machine| machine.state_machine_arn),
        );
    }
    let mut described = Vec::new();
    for arn in arns {
        let machine = client
            .describe_state_machine()
            .state_machine_arn(&arn)
            .send()
            .await
            .map_err(failed("states:DescribeStateMachine"))?;
        described.push(
            Object::new()
                .text("stateMachineArn", Some(machine.state_machine_arn.as_str()))
                .text("name", Some(machine.name.as_str()))
                .text(
                    "status",
                    machine.status.as_ref().map(|status| status.as_str()),
                )
                .text("roleArn", Some(machine.role_arn.as_str()))
                .text("type", Some(machine.r#type.as_str()))
                .time("creationDate", Some(&machine.creation_date))
                .done(),
        );
    }
    Ok(Value::Array(described))
}
