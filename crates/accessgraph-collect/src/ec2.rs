//! EC2: the account's enabled regions (`describe-regions`), and its VPC endpoints with their
//! policies (`describe-vpc-endpoints`).

use aws_config::SdkConfig;
use aws_sdk_ec2::types::VpcEndpoint;
use serde_json::{Value, json};

use crate::error::{CallError, failed};
use crate::harvest::Harvest;
use crate::json::Object;
use crate::policies::Place;

/// The regions enabled in the account of `config` (opt-in regions only once opted in).
pub(crate) async fn enabled_regions(config: &SdkConfig) -> Result<Vec<String>, CallError> {
    let output = aws_sdk_ec2::Client::new(config)
        .describe_regions()
        .send()
        .await
        .map_err(failed("ec2:DescribeRegions"))?;
    let mut regions: Vec<String> = output
        .regions
        .unwrap_or_default()
        .into_iter()
        .filter_map(|region| region.region_name)
        .collect();
    regions.sort();
    Ok(regions)
}

/// `ec2 describe-vpc-endpoints`, every page merged.
pub(crate) async fn vpc_endpoints(
    config: &SdkConfig,
    at: &Place<'_>,
) -> Result<Harvest, CallError> {
    let client = aws_sdk_ec2::Client::new(config);
    let mut endpoints = Vec::new();
    let mut pages = client.describe_vpc_endpoints().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("ec2:DescribeVpcEndpoints"))?;
        endpoints.extend(page.vpc_endpoints.unwrap_or_default().iter().map(endpoint));
    }
    let mut harvest = Harvest::default();
    harvest.file(
        format!("{}/ec2/describe-vpc-endpoints.json", at.base),
        json!({ "VpcEndpoints": endpoints }),
    );
    Ok(harvest)
}

fn endpoint(endpoint: &VpcEndpoint) -> Value {
    Object::new()
        .text("VpcEndpointId", endpoint.vpc_endpoint_id.as_deref())
        .text(
            "VpcEndpointType",
            endpoint
                .vpc_endpoint_type
                .as_ref()
                .map(|kind| kind.as_str()),
        )
        .text("VpcId", endpoint.vpc_id.as_deref())
        .text("ServiceName", endpoint.service_name.as_deref())
        .text("State", endpoint.state.as_ref().map(|state| state.as_str()))
        .text("PolicyDocument", endpoint.policy_document.as_deref())
        .texts("RouteTableIds", endpoint.route_table_ids.as_deref())
        .texts("SubnetIds", endpoint.subnet_ids.as_deref())
        .list("Groups", endpoint.groups.as_deref(), |group| {
            Object::new()
                .text("GroupId", group.group_id.as_deref())
                .text("GroupName", group.group_name.as_deref())
                .done()
        })
        .text(
            "IpAddressType",
            endpoint.ip_address_type.as_ref().map(|kind| kind.as_str()),
        )
        .value(
            "DnsOptions",
            endpoint.dns_options.as_ref().map(|options| {
                Object::new()
                    .text(
                        "DnsRecordIpType",
                        options
                            .dns_record_ip_type
                            .as_ref()
                            .map(|kind| kind.as_str()),
                    )
                    .value(
                        "PrivateDnsOnlyForInboundResolverEndpoint",
                        options
                            .private_dns_only_for_inbound_resolver_endpoint
                            .map(Value::Bool),
                    )
                    .done()
            }),
        )
        .value(
            "PrivateDnsEnabled",
            endpoint.private_dns_enabled.map(Value::Bool),
        )
        .value(
            "RequesterManaged",
            endpoint.requester_managed.map(Value::Bool),
        )
        .texts(
            "NetworkInterfaceIds",
            endpoint.network_interface_ids.as_deref(),
        )
        .list("DnsEntries", endpoint.dns_entries.as_deref(), |entry| {
            Object::new()
                .text("DnsName", entry.dns_name.as_deref())
                .text("HostedZoneId", entry.hosted_zone_id.as_deref())
                .done()
        })
        .time("CreationTimestamp", endpoint.creation_timestamp.as_ref())
        .list("Tags", endpoint.tags.as_deref(), |tag| {
            Object::new()
                .text("Key", tag.key.as_deref())
                .text("Value", tag.value.as_deref())
                .done()
        })
        .text("OwnerId", endpoint.owner_id.as_deref())
        .done()
}
