//! Regional resource policies: KMS key policies, Lambda function policies (with the function
//! list), SQS queue and SNS topic attributes, Secrets Manager resource policies and API Gateway
//! REST APIs, each file in the shape the AWS CLI prints, under `accounts/ID/REGION/SERVICE/`.
//!
//! A resource whose own call fails is a gap and the others are still read; a failing list is a
//! gap for the whole service in that region.

use aws_config::SdkConfig;
use serde_json::{Value, json};

use crate::error::{CallError, failed};
use crate::harvest::Harvest;
use crate::json::{Object, strings};

/// Where a region's files go: `accounts/ACCOUNT/REGION`.
pub(crate) struct Place<'a> {
    pub(crate) base: &'a str,
    pub(crate) region: &'a str,
}

impl Place<'_> {
    pub(crate) fn path(&self, service: &str, name: &str) -> String {
        format!("{}/{service}/{}.json", self.base, file_name(name))
    }

    fn what(&self, kind: &str, name: &str) -> String {
        format!("{} {kind} {name}", self.region)
    }
}

/// A resource name as a file name: `/` (allowed in secret names) is percent-encoded, since ingest
/// reads the secret's ARN from inside the file.
fn file_name(name: &str) -> String {
    name.replace('%', "%25").replace('/', "%2F")
}

/// `kms get-key-policy --policy-name default` for every key.
pub(crate) async fn kms(config: &SdkConfig, at: &Place<'_>) -> Result<Harvest, CallError> {
    let client = aws_sdk_kms::Client::new(config);
    let mut keys = Vec::new();
    let mut listed = client.list_keys().into_paginator().items().send();
    while let Some(key) = listed.next().await {
        keys.extend(key.map_err(failed("kms:ListKeys"))?.key_id);
    }
    let mut harvest = Harvest::default();
    for key in keys {
        match client
            .get_key_policy()
            .key_id(&key)
            .policy_name("default")
            .send()
            .await
        {
            Ok(output) => harvest.file(
                at.path("kms", &key),
                Object::new()
                    .text("Policy", output.policy.as_deref())
                    .text("PolicyName", output.policy_name.as_deref())
                    .done(),
            ),
            Err(error) => harvest.gap(
                &at.what("key", &key),
                &CallError::of("kms:GetKeyPolicy", &error),
            ),
        }
    }
    Ok(harvest)
}

/// `lambda list-functions` (the inventory file every function is known by) and `lambda
/// get-policy` for each function that has a policy.
pub(crate) async fn lambda(config: &SdkConfig, at: &Place<'_>) -> Result<Harvest, CallError> {
    let client = aws_sdk_lambda::Client::new(config);
    let mut functions = Vec::new();
    let mut listed = client.list_functions().into_paginator().items().send();
    while let Some(function) = listed.next().await {
        functions.push(function.map_err(failed("lambda:ListFunctions"))?);
    }
    let mut harvest = Harvest::default();
    harvest.file(
        at.path("inventory", "lambda-list-functions"),
        json!({"Functions": functions.iter().map(crate::inventory::lambda_function).collect::<Vec<_>>()}),
    );
    for name in functions.iter().filter_map(|f| f.function_name.as_deref()) {
        match client.get_policy().function_name(name).send().await {
            Ok(output) => harvest.file(
                at.path("lambda", name),
                Object::new()
                    .text("Policy", output.policy.as_deref())
                    .text("RevisionId", output.revision_id.as_deref())
                    .done(),
            ),
            Err(error) => {
                let error = CallError::of("lambda:GetPolicy", &error);
                if !error.is(&["ResourceNotFoundException"]) {
                    harvest.gap(&at.what("function", name), &error);
                }
            }
        }
    }
    Ok(harvest)
}

/// `sqs get-queue-attributes --attribute-names Policy` for every queue (`{}` for a queue
/// without a policy, where the CLI prints nothing: the queue is still known).
pub(crate) async fn sqs(config: &SdkConfig, at: &Place<'_>) -> Result<Harvest, CallError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let client = aws_sdk_sqs::Client::new(config);
    let mut urls = Vec::new();
    let mut listed = client.list_queues().into_paginator().items().send();
    while let Some(url) = listed.next().await {
        urls.push(url.map_err(failed("sqs:ListQueues"))?);
    }
    let mut harvest = Harvest::default();
    for url in urls {
        let name = url.rsplit('/').next().unwrap_or(&url).to_owned();
        match client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::Policy)
            .send()
            .await
        {
            Ok(output) => {
                let attributes = output.attributes.unwrap_or_default();
                let listed = (!attributes.is_empty()).then(|| {
                    strings(
                        attributes
                            .into_iter()
                            .map(|(key, value)| (key.as_str().to_owned(), value)),
                    )
                });
                harvest.file(
                    at.path("sqs", &name),
                    Object::new().value("Attributes", listed).done(),
                );
            }
            Err(error) => harvest.gap(
                &at.what("queue", &name),
                &CallError::of("sqs:GetQueueAttributes", &error),
            ),
        }
    }
    Ok(harvest)
}

/// `sns get-topic-attributes` for every topic.
pub(crate) async fn sns(config: &SdkConfig, at: &Place<'_>) -> Result<Harvest, CallError> {
    let client = aws_sdk_sns::Client::new(config);
    let mut topics = Vec::new();
    let mut listed = client.list_topics().into_paginator().items().send();
    while let Some(topic) = listed.next().await {
        topics.extend(topic.map_err(failed("sns:ListTopics"))?.topic_arn);
    }
    let mut harvest = Harvest::default();
    for arn in topics {
        let name = arn.rsplit(':').next().unwrap_or(&arn).to_owned();
        match client.get_topic_attributes().topic_arn(&arn).send().await {
            Ok(output) => {
                let attributes = strings(output.attributes.unwrap_or_default());
                harvest.file(at.path("sns", &name), json!({ "Attributes": attributes }));
            }
            Err(error) => harvest.gap(
                &at.what("topic", &name),
                &CallError::of("sns:GetTopicAttributes", &error),
            ),
        }
    }
    Ok(harvest)
}

/// `secretsmanager get-resource-policy` for every secret (its ARN and name even without a
/// policy). Secret values are never read.
pub(crate) async fn secrets(config: &SdkConfig, at: &Place<'_>) -> Result<Harvest, CallError> {
    let client = aws_sdk_secretsmanager::Client::new(config);
    let mut secrets = Vec::new();
    let mut pages = client.list_secrets().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("secretsmanager:ListSecrets"))?;
        for secret in page.secret_list.unwrap_or_default() {
            secrets.extend(secret.arn.zip(secret.name));
        }
    }
    let mut harvest = Harvest::default();
    for (arn, name) in secrets {
        match client.get_resource_policy().secret_id(&arn).send().await {
            Ok(output) => harvest.file(
                at.path("secretsmanager", &name),
                Object::new()
                    .text("ARN", output.arn.as_deref())
                    .text("Name", output.name.as_deref())
                    .text("ResourcePolicy", output.resource_policy.as_deref())
                    .done(),
            ),
            Err(error) => harvest.gap(
                &at.what("secret", &name),
                &CallError::of("secretsmanager:GetResourcePolicy", &error),
            ),
        }
    }
    Ok(harvest)
}

/// Every REST API as `apigateway get-rest-api` prints it (read from `get-rest-apis`, whose items
/// are the same).
pub(crate) async fn api_gateway(config: &SdkConfig, at: &Place<'_>) -> Result<Harvest, CallError> {
    let client = aws_sdk_apigateway::Client::new(config);
    let mut harvest = Harvest::default();
    let mut listed = client.get_rest_apis().into_paginator().items().send();
    while let Some(api) = listed.next().await {
        let api = api.map_err(failed("apigateway:GET"))?;
        let Some(id) = api.id.as_deref() else {
            continue;
        };
        let endpoint = api.endpoint_configuration.as_ref().map(|endpoint| {
            Object::new()
                .list("types", endpoint.types.as_deref(), |kind| {
                    json!(kind.as_str())
                })
                .text(
                    "ipAddressType",
                    endpoint.ip_address_type.as_ref().map(|kind| kind.as_str()),
                )
                .texts("vpcEndpointIds", endpoint.vpc_endpoint_ids.as_deref())
                .done()
        });
        let tags = api.tags.clone().map(strings);
        harvest.file(
            at.path("apigateway", id),
            Object::new()
                .text("id", Some(id))
                .text("name", api.name.as_deref())
                .text("description", api.description.as_deref())
                .time("createdDate", api.created_date.as_ref())
                .text("version", api.version.as_deref())
                .texts("warnings", api.warnings.as_deref())
                .texts("binaryMediaTypes", api.binary_media_types.as_deref())
                .value(
                    "minimumCompressionSize",
                    api.minimum_compression_size.map(Value::from),
                )
                .text(
                    "apiKeySource",
                    api.api_key_source.as_ref().map(|source| source.as_str()),
                )
                .value("endpointConfiguration", endpoint)
                .text("policy", api.policy.as_deref())
                .value("tags", tags)
                .value(
                    "disableExecuteApiEndpoint",
                    Some(Value::Bool(api.disable_execute_api_endpoint)),
                )
                .text("rootResourceId", api.root_resource_id.as_deref())
                .done(),
        );
    }
    Ok(harvest)
}
