//! AWS Batch job definitions: the roles their jobs run as. Commands, environment variables and
//! secrets are left out.

use aws_config::SdkConfig;
use aws_sdk_batch::types::{ContainerProperties, EcsProperties, JobDefinition};
use serde_json::{Value, json};

use crate::error::{CallError, failed};
use crate::json::Object;

/// `batch describe-job-definitions --status ACTIVE`.
pub(crate) async fn job_definitions(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_batch::Client::new(config);
    let mut definitions = Vec::new();
    let mut pages = client
        .describe_job_definitions()
        .status("ACTIVE")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("batch:DescribeJobDefinitions"))?;
        definitions.extend(
            page.job_definitions
                .unwrap_or_default()
                .iter()
                .map(definition),
        );
    }
    Ok(json!({ "jobDefinitions": definitions }))
}

fn definition(definition: &JobDefinition) -> Value {
    Object::new()
        .text(
            "jobDefinitionName",
            definition.job_definition_name.as_deref(),
        )
        .text("jobDefinitionArn", definition.job_definition_arn.as_deref())
        .value("revision", definition.revision.map(Value::from))
        .text("status", definition.status.as_deref())
        .text("type", definition.r#type.as_deref())
        .value(
            "containerProperties",
            definition.container_properties.as_ref().map(container),
        )
        .value("ecsProperties", definition.ecs_properties.as_ref().map(ecs))
        .value(
            "nodeProperties",
            definition.node_properties.as_ref().map(|nodes| {
                Object::new()
                    .value("numNodes", nodes.num_nodes.map(Value::from))
                    .value("mainNode", nodes.main_node.map(Value::from))
                    .list(
                        "nodeRangeProperties",
                        nodes.node_range_properties.as_deref(),
                        |range| {
                            Object::new()
                                .text("targetNodes", range.target_nodes.as_deref())
                                .value("container", range.container.as_ref().map(container))
                                .value("ecsProperties", range.ecs_properties.as_ref().map(ecs))
                                .done()
                        },
                    )
                    .done()
            }),
        )
        .done()
}

fn container(container: &ContainerProperties) -> Value {
    Object::new()
        .text("image", container.image.as_deref())
        .text("jobRoleArn", container.job_role_arn.as_deref())
        .text("executionRoleArn", container.execution_role_arn.as_deref())
        .done()
}

fn ecs(properties: &EcsProperties) -> Value {
    Object::new()
        .list(
            "taskProperties",
            properties.task_properties.as_deref(),
            |task| {
                Object::new()
                    .text("taskRoleArn", task.task_role_arn.as_deref())
                    .text("executionRoleArn", task.execution_role_arn.as_deref())
                    .done()
            },
        )
        .done()
}
