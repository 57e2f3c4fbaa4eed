//! ECS clusters, task definitions and running tasks: the task role each task runs as, for the
//! ECS Exec edge. Container definitions are left out (they hold environment variables and secrets).

use aws_config::SdkConfig;
use aws_sdk_ecs::types::{Task, TaskDefinition, TaskDefinitionStatus};
use serde_json::{Value, json};

use crate::error::{CallError, failed};
use crate::json::Object;

/// `ecs describe-tasks` accepts at most this many tasks per call.
const DESCRIBE_TASKS_AT_ONCE: usize = 100;

/// A list of `ecs describe-task-definition` outputs, one per active task definition.
pub(crate) async fn task_definitions(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_ecs::Client::new(config);
    let mut arns = Vec::new();
    let mut pages = client
        .list_task_definitions()
        .status(TaskDefinitionStatus::Active)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        arns.extend(
            page.map_err(failed("ecs:ListTaskDefinitions"))?
                .task_definition_arns
                .unwrap_or_default(),
        );
    }
    let mut described = Vec::new();
    for arn in arns {
        let output = client
            .describe_task_definition()
            .task_definition(&arn)
            .send()
            .await
            .map_err(failed("ecs:DescribeTaskDefinition"))?;
        described.push(json!({
            "taskDefinition": output.task_definition.as_ref().map(task_definition),
        }));
    }
    Ok(Value::Array(described))
}

fn task_definition(definition: &TaskDefinition) -> Value {
    Object::new()
        .text(
            "taskDefinitionArn",
            definition.task_definition_arn.as_deref(),
        )
        .text("family", definition.family.as_deref())
        .text("taskRoleArn", definition.task_role_arn.as_deref())
        .text("executionRoleArn", definition.execution_role_arn.as_deref())
        .value("revision", Some(json!(definition.revision)))
        .text(
            "status",
            definition.status.as_ref().map(|status| status.as_str()),
        )
        .time("registeredAt", definition.registered_at.as_ref())
        .done()
}

/// `ecs list-clusters`.
pub(crate) async fn clusters(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_ecs::Client::new(config);
    Ok(json!({ "clusterArns": cluster_arns(&client).await? }))
}

async fn cluster_arns(client: &aws_sdk_ecs::Client) -> Result<Vec<String>, CallError> {
    let mut clusters = Vec::new();
    let mut pages = client.list_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        clusters.extend(
            page.map_err(failed("ecs:ListClusters"))?
                .cluster_arns
                .unwrap_or_default(),
        );
    }
    Ok(clusters)
}

/// A list of `ecs describe-tasks` outputs, one per cluster with running tasks.
pub(crate) async fn tasks(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_ecs::Client::new(config);
    let mut described = Vec::new();
    for cluster in cluster_arns(&client).await? {
        let mut arns = Vec::new();
        let mut pages = client
            .list_tasks()
            .cluster(&cluster)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            arns.extend(
                page.map_err(failed("ecs:ListTasks"))?
                    .task_arns
                    .unwrap_or_default(),
            );
        }
        for chunk in arns.chunks(DESCRIBE_TASKS_AT_ONCE) {
            let output = client
                .describe_tasks()
                .cluster(&cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(failed("ecs:DescribeTasks"))?;
            described.push(json!({
                "tasks": output.tasks.as_deref().unwrap_or_default().iter().map(task).collect::<Vec<_>>(),
            }));
        }
    }
    Ok(Value::Array(described))
}

fn task(task: &Task) -> Value {
    Object::new()
        .text("taskArn", task.task_arn.as_deref())
        .text("clusterArn", task.cluster_arn.as_deref())
        .text("taskDefinitionArn", task.task_definition_arn.as_deref())
        .text("lastStatus", task.last_status.as_deref())
        .text("desiredStatus", task.desired_status.as_deref())
        // The SDK reads an absent flag as false: written only when set, which is what counts.
        .value(
            "enableExecuteCommand",
            task.enable_execute_command.then_some(Value::Bool(true)),
        )
        .value(
            "overrides",
            task.overrides.as_ref().map(|overrides| {
                Object::new()
                    .text("taskRoleArn", overrides.task_role_arn.as_deref())
                    .text("executionRoleArn", overrides.execution_role_arn.as_deref())
                    .done()
            }),
        )
        .done()
}
