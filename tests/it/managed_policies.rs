//! Name-scoped creation with AWS's own managed policies (issue 22, item 4): each policy, attached
//! alone to a user, allows an escalation only under a name pattern the user chooses
//! (`role/service-role/*`, `role/CodeStarWorker*`, `training-job/AWSBatch*`,
//! `project/AWSProton*`). The documents are in `tests/data/managed-policies/`.

use accessgraph_graph::Graph;
use serde_json::{Value, json};

use crate::fixture::{OrgBuilder, iam_arn};

const ACCOUNT: &str = "111122223333";

fn document(name: &str) -> Value {
    let path = crate::ingest::data(&format!("data/managed-policies/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["Statement"].clone()
}

/// A graph of one account: user `dev` with the managed policy `name` alone, and an
/// administrator role trusted by each service of `services`.
fn graph(name: &str, services: &[&str]) -> Graph {
    let mut org = OrgBuilder::default();
    let policy_arn = format!("arn:aws:iam::aws:policy/{name}");
    org.managed(ACCOUNT, &policy_arn, document(name));
    org.user(ACCOUNT, "dev", Value::Null, &[]);
    if let Some(user) = org.account(ACCOUNT).users.last_mut() {
        user.attached_policies.push(policy_arn);
    }
    for service in services {
        let name = format!("{}-admin", service.split('.').next().unwrap_or_default());
        org.role(
            ACCOUNT,
            &name,
            json!([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]),
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        );
    }
    Graph::build(&org.build())
}

/// The node of user `dev`.
fn dev(graph: &Graph) -> accessgraph_graph::NodeId {
    graph.find(&iam_arn(ACCOUNT, "user", "dev")).unwrap()
}

/// A policy that lets its holder create a role under a path or name prefix and give it a policy
/// makes the holder an administrator, through the role it names (`WellArchitectedConsoleFullAccess`
/// is meant for people; `AWSCodeStarServiceRole` for CodeStar's service role).
#[test]
fn creating_a_role_under_a_name_pattern_is_self_escalation() {
    for (name, role_prefix) in [
        (
            "WellArchitectedConsoleFullAccess",
            "arn:aws:iam::111122223333:role/service-role/",
        ),
        (
            "AWSCodeStarServiceRole",
            "arn:aws:iam::111122223333:role/CodeStarWorker",
        ),
    ] {
        let graph = graph(name, &[]);
        let node = graph.node(dev(&graph)).unwrap();
        let admin = node
            .admin
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: dev is not an administrator"));
        assert_eq!(admin.status, accessgraph_policy::Tri::True, "{name}");
        assert!(
            admin.reason.contains(role_prefix),
            "{name}: the chosen role is named: {}",
            admin.reason
        );
    }
}

/// A PassRole technique whose creation is allowed only under a name pattern: the user names
/// the training job or build project to fit, and reaches the administrator role; the evidence
/// says which name.
#[test]
fn passing_a_role_to_something_named_to_fit_a_pattern() {
    for (name, service, id, named) in [
        (
            "AWSBatchServiceRolePolicyForSageMaker",
            "sagemaker.amazonaws.com",
            "sagemaker-002",
            "training-job/AWSBatchaccessgraph",
        ),
        (
            "AWSProtonCodeBuildProvisioningServiceRolePolicy",
            "codebuild.amazonaws.com",
            "codebuild-001",
            "project/AWSProtonaccessgraph",
        ),
    ] {
        let graph = graph(name, &[service]);
        let admin_role = iam_arn(
            ACCOUNT,
            "role",
            &format!("{}-admin", service.split('.').next().unwrap_or_default()),
        );
        let dev = dev(&graph);
        // The pair's edge, straight or through a helper standing for it.
        let edge = graph
            .pair_hops()
            .into_iter()
            .filter(|hop| {
                hop.from == dev
                    && graph
                        .node(hop.to)
                        .is_some_and(|node| node.arn == admin_role)
            })
            .filter_map(|hop| hop.edges.first().and_then(|id| graph.edge(*id)))
            .find(|edge| {
                edge.catalog_id == Some(id)
                    || edge.alternatives.iter().any(|label| label.contains(id))
            })
            .unwrap_or_else(|| panic!("{name}: no {id} edge from dev to {admin_role}"));
        assert!(
            edge.requirements
                .iter()
                .any(|requirement| requirement.contains(named)),
            "{name}: {:?}",
            edge.requirements
        );
    }
}
