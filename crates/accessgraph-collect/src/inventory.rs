//! The compute inventory: which resources run as which role, for the privilege-escalation edges
//! that use an existing resource (`snapshot-format.md`, "Compute inventory").
//!
//! Inventory files keep the members that identify a resource and its role, in the shape and
//! under the names the AWS CLI prints, and leave out configuration that can hold secrets
//! (Lambda environment variables, EC2 user data, build environment variables, stack
//! parameters): a snapshot is a map of an organization, not a copy of its credentials.

mod batch;
mod ecs;
mod stepfunctions;

use aws_config::SdkConfig;
use aws_sdk_lambda::types::FunctionConfiguration;
use serde_json::{Value, json};

use crate::error::{CallError, failed};
use crate::harvest::Harvest;
use crate::json::Object;
use crate::policies::Place;

/// A function of `lambda list-functions`, without its environment.
pub(crate) fn lambda_function(function: &FunctionConfiguration) -> Value {
    Object::new()
        .text("FunctionName", function.function_name.as_deref())
        .text("FunctionArn", function.function_arn.as_deref())
        .text(
            "Runtime",
            function.runtime.as_ref().map(|runtime| runtime.as_str()),
        )
        .text("Role", function.role.as_deref())
        .text("Handler", function.handler.as_deref())
        .value("CodeSize", Some(json!(function.code_size)))
        .text("Description", function.description.as_deref())
        .value("Timeout", function.timeout.map(Value::from))
        .value("MemorySize", function.memory_size.map(Value::from))
        .text("LastModified", function.last_modified.as_deref())
        .text("Version", function.version.as_deref())
        .text(
            "PackageType",
            function.package_type.as_ref().map(|kind| kind.as_str()),
        )
        .list("Architectures", function.architectures.as_deref(), |kind| {
            json!(kind.as_str())
        })
        .done()
}

/// The region's compute inventory (nothing without `with_inventory`); a service whose calls
/// fail is a gap, so its edges stay conditional rather than exact.
pub(crate) async fn collect(config: &SdkConfig, at: &Place<'_>, with_inventory: bool) -> Harvest {
    let mut harvest = Harvest::default();
    if !with_inventory {
        return harvest;
    }
    let (
        instances,
        templates,
        managed,
        stacks,
        projects,
        endpoints,
        jobs,
        notebooks,
        clusters,
        services,
        task_definitions,
        tasks,
        job_definitions,
        state_machines,
    ) = tokio::join!(
        ec2_instances(config),
        launch_templates(config),
        ssm_instances(config),
        stacks(config),
        codebuild_projects(config),
        glue_dev_endpoints(config),
        glue_jobs(config),
        notebooks(config),
        ecs::clusters(config),
        apprunner_services(config),
        ecs::task_definitions(config),
        ecs::tasks(config),
        batch::job_definitions(config),
        stepfunctions::state_machines(config),
    );
    for (file, part) in [
        ("ec2-describe-instances", instances),
        ("ec2-describe-launch-template-versions", templates),
        ("ssm-describe-instance-information", managed),
        ("cloudformation-describe-stacks", stacks),
        ("codebuild-batch-get-projects", projects),
        ("glue-get-dev-endpoints", endpoints),
        ("glue-get-jobs", jobs),
        ("sagemaker-notebook-instances", notebooks),
        ("ecs-list-clusters", clusters),
        ("apprunner-services", services),
        ("ecs-describe-task-definitions", task_definitions),
        ("ecs-describe-tasks", tasks),
        ("batch-describe-job-definitions", job_definitions),
        ("stepfunctions-describe-state-machines", state_machines),
    ] {
        match part {
            Ok(content) => harvest.file(at.path("inventory", file), content),
            Err(error) => harvest.gap(&format!("{} inventory", at.region), &error),
        }
    }
    harvest
}

/// `ec2 describe-instances`: each instance with its instance profile (no user data).
async fn ec2_instances(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_ec2::Client::new(config);
    let mut reservations = Vec::new();
    let mut pages = client.describe_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("ec2:DescribeInstances"))?;
        for reservation in page.reservations.unwrap_or_default() {
            reservations.push(
                Object::new()
                    .text("ReservationId", reservation.reservation_id.as_deref())
                    .text("OwnerId", reservation.owner_id.as_deref())
                    .list("Instances", reservation.instances.as_deref(), |instance| {
                        Object::new()
                            .text("InstanceId", instance.instance_id.as_deref())
                            .text(
                                "InstanceType",
                                instance.instance_type.as_ref().map(|kind| kind.as_str()),
                            )
                            .time("LaunchTime", instance.launch_time.as_ref())
                            .value(
                                "State",
                                instance.state.as_ref().map(|state| {
                                    Object::new()
                                        .value("Code", state.code.map(Value::from))
                                        .text("Name", state.name.as_ref().map(|name| name.as_str()))
                                        .done()
                                }),
                            )
                            .value(
                                "IamInstanceProfile",
                                instance.iam_instance_profile.as_ref().map(|profile| {
                                    Object::new()
                                        .text("Arn", profile.arn.as_deref())
                                        .text("Id", profile.id.as_deref())
                                        .done()
                                }),
                            )
                            .done()
                    })
                    .done(),
            );
        }
    }
    Ok(json!({ "Reservations": reservations }))
}

/// `ec2 describe-launch-template-versions --versions $Latest` (every template's latest version,
/// with its instance profile; no user data).
async fn launch_templates(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_ec2::Client::new(config);
    let mut versions = Vec::new();
    let mut pages = client
        .describe_launch_template_versions()
        .versions("$Latest")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("ec2:DescribeLaunchTemplateVersions"))?;
        for version in page.launch_template_versions.unwrap_or_default() {
            let profile = version
                .launch_template_data
                .as_ref()
                .and_then(|data| data.iam_instance_profile.as_ref())
                .map(|profile| {
                    Object::new()
                        .text("Arn", profile.arn.as_deref())
                        .text("Name", profile.name.as_deref())
                        .done()
                });
            versions.push(
                Object::new()
                    .text("LaunchTemplateId", version.launch_template_id.as_deref())
                    .text(
                        "LaunchTemplateName",
                        version.launch_template_name.as_deref(),
                    )
                    .value("VersionNumber", version.version_number.map(Value::from))
                    .time("CreateTime", version.create_time.as_ref())
                    .value("DefaultVersion", version.default_version.map(Value::Bool))
                    .value(
                        "LaunchTemplateData",
                        version
                            .launch_template_data
                            .as_ref()
                            .map(|_| Object::new().value("IamInstanceProfile", profile).done()),
                    )
                    .done(),
            );
        }
    }
    Ok(json!({ "LaunchTemplateVersions": versions }))
}

/// `ssm describe-instance-information`: the instances SSM manages (a session or command reaches
/// their instance profile's role).
async fn ssm_instances(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_ssm::Client::new(config);
    let mut instances = Vec::new();
    let mut pages = client
        .describe_instance_information()
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("ssm:DescribeInstanceInformation"))?;
        for instance in page.instance_information_list.unwrap_or_default() {
            instances.push(
                Object::new()
                    .text("InstanceId", instance.instance_id.as_deref())
                    .text(
                        "PingStatus",
                        instance.ping_status.as_ref().map(|status| status.as_str()),
                    )
                    .time("LastPingDateTime", instance.last_ping_date_time.as_ref())
                    .text(
                        "PlatformType",
                        instance.platform_type.as_ref().map(|kind| kind.as_str()),
                    )
                    .text(
                        "ResourceType",
                        instance.resource_type.as_ref().map(|kind| kind.as_str()),
                    )
                    .text("IamRole", instance.iam_role.as_deref())
                    .done(),
            );
        }
    }
    Ok(json!({ "InstanceInformationList": instances }))
}

/// `cloudformation describe-stacks`: each stack with its service role (no parameters or
/// outputs).
async fn stacks(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_cloudformation::Client::new(config);
    let mut stacks = Vec::new();
    let mut pages = client.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("cloudformation:DescribeStacks"))?;
        for stack in page.stacks.unwrap_or_default() {
            stacks.push(
                Object::new()
                    .text("StackId", stack.stack_id.as_deref())
                    .text("StackName", stack.stack_name.as_deref())
                    .time("CreationTime", stack.creation_time.as_ref())
                    .text(
                        "StackStatus",
                        stack.stack_status.as_ref().map(|status| status.as_str()),
                    )
                    .text("RoleARN", stack.role_arn.as_deref())
                    .done(),
            );
        }
    }
    Ok(json!({ "Stacks": stacks }))
}

/// `codebuild batch-get-projects` over `list-projects` (each project's service role; no
/// environment variables).
async fn codebuild_projects(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_codebuild::Client::new(config);
    let mut names = Vec::new();
    let mut pages = client.list_projects().into_paginator().send();
    while let Some(page) = pages.next().await {
        names.extend(
            page.map_err(failed("codebuild:ListProjects"))?
                .projects
                .unwrap_or_default(),
        );
    }
    let mut projects = Vec::new();
    let mut not_found = Vec::new();
    // The API takes at most 100 names per call.
    for chunk in names.chunks(100) {
        let output = client
            .batch_get_projects()
            .set_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(failed("codebuild:BatchGetProjects"))?;
        not_found.extend(output.projects_not_found.unwrap_or_default());
        for project in output.projects.unwrap_or_default() {
            projects.push(
                Object::new()
                    .text("name", project.name.as_deref())
                    .text("arn", project.arn.as_deref())
                    .text("serviceRole", project.service_role.as_deref())
                    .time("created", project.created.as_ref())
                    .time("lastModified", project.last_modified.as_ref())
                    .done(),
            );
        }
    }
    Ok(Object::new()
        .value("projects", Some(Value::Array(projects)))
        .texts(
            "projectsNotFound",
            (!not_found.is_empty()).then_some(&not_found[..]),
        )
        .done())
}

/// `glue get-dev-endpoints`.
async fn glue_dev_endpoints(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_glue::Client::new(config);
    let mut endpoints = Vec::new();
    let mut pages = client.get_dev_endpoints().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("glue:GetDevEndpoints"))?;
        for endpoint in page.dev_endpoints.unwrap_or_default() {
            endpoints.push(
                Object::new()
                    .text("EndpointName", endpoint.endpoint_name.as_deref())
                    .text("RoleArn", endpoint.role_arn.as_deref())
                    .text("Status", endpoint.status.as_deref())
                    .time("CreatedTimestamp", endpoint.created_timestamp.as_ref())
                    .done(),
            );
        }
    }
    Ok(json!({ "DevEndpoints": endpoints }))
}

/// `glue get-jobs` (each job's role; no default arguments).
async fn glue_jobs(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_glue::Client::new(config);
    let mut jobs = Vec::new();
    let mut pages = client.get_jobs().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("glue:GetJobs"))?;
        for job in page.jobs.unwrap_or_default() {
            jobs.push(
                Object::new()
                    .text("Name", job.name.as_deref())
                    .text("Role", job.role.as_deref())
                    .time("CreatedOn", job.created_on.as_ref())
                    .time("LastModifiedOn", job.last_modified_on.as_ref())
                    .done(),
            );
        }
    }
    Ok(json!({ "Jobs": jobs }))
}

/// A list of `sagemaker describe-notebook-instance` outputs, one per notebook instance.
async fn notebooks(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_sagemaker::Client::new(config);
    let mut names = Vec::new();
    let mut pages = client.list_notebook_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("sagemaker:ListNotebookInstances"))?;
        names.extend(
            page.notebook_instances
                .unwrap_or_default()
                .into_iter()
                .filter_map(|summary| summary.notebook_instance_name),
        );
    }
    let mut described = Vec::new();
    for name in names {
        let notebook = client
            .describe_notebook_instance()
            .notebook_instance_name(&name)
            .send()
            .await
            .map_err(failed("sagemaker:DescribeNotebookInstance"))?;
        described.push(
            Object::new()
                .text(
                    "NotebookInstanceArn",
                    notebook.notebook_instance_arn.as_deref(),
                )
                .text(
                    "NotebookInstanceName",
                    notebook.notebook_instance_name.as_deref(),
                )
                .text(
                    "NotebookInstanceStatus",
                    notebook
                        .notebook_instance_status
                        .as_ref()
                        .map(|status| status.as_str()),
                )
                .text(
                    "InstanceType",
                    notebook.instance_type.as_ref().map(|kind| kind.as_str()),
                )
                .text("RoleArn", notebook.role_arn.as_deref())
                .text(
                    "RootAccess",
                    notebook.root_access.as_ref().map(|access| access.as_str()),
                )
                .time("CreationTime", notebook.creation_time.as_ref())
                .done(),
        );
    }
    Ok(Value::Array(described))
}

/// A list of `apprunner describe-service` outputs (each service's instance role; no source
/// configuration, which holds environment variables).
async fn apprunner_services(config: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_apprunner::Client::new(config);
    let mut arns = Vec::new();
    let mut pages = client.list_services().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("apprunner:ListServices"))?;
        arns.extend(
            page.service_summary_list
                .into_iter()
                .filter_map(|summary| summary.service_arn),
        );
    }
    let mut described = Vec::new();
    for arn in arns {
        let output = client
            .describe_service()
            .service_arn(&arn)
            .send()
            .await
            .map_err(failed("apprunner:DescribeService"))?;
        let service = output.service.as_ref().map(|service| {
            Object::new()
                .text("ServiceName", Some(service.service_name.as_str()))
                .text("ServiceId", Some(service.service_id.as_str()))
                .text("ServiceArn", Some(service.service_arn.as_str()))
                .text("Status", Some(service.status.as_str()))
                .time("CreatedAt", Some(&service.created_at))
                .value(
                    "InstanceConfiguration",
                    service.instance_configuration.as_ref().map(|instance| {
                        Object::new()
                            .text("Cpu", instance.cpu.as_deref())
                            .text("Memory", instance.memory.as_deref())
                            .text("InstanceRoleArn", instance.instance_role_arn.as_deref())
                            .done()
                    }),
                )
                .done()
        });
        described.push(Object::new().value("Service", service).done());
    }
    Ok(Value::Array(described))
}
