//! Building the graph: nodes, admin status, edge candidates in parallel, insertion in order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use accessgraph_model::Snapshot;
use accessgraph_policy::Tri;
use accessgraph_policy::admin::{AdminReason, Subject, full_admin, self_escalating_admin};
use petgraph::graph::{DiGraph, NodeIndex};
use rayon::prelude::*;

use crate::context::{Actor, Context};
use crate::model::{Admin, CitationId, Edge, EdgeKind, Node, NodeId, NodeKind};
use crate::techniques::Techniques;

/// Identity of a citation for interning: the same statement of the same labelled policy (labels
/// are shared `Arc`s, so their addresses identify them) in the same layer. Hashing a few integers
/// instead of the strings keeps interning millions of citations cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CitationKey {
    policy: usize,
    statement: usize,
    layer: (u8, usize),
    effect: bool,
    conditional: bool,
}

impl CitationKey {
    fn of(citation: &accessgraph_policy::Citation) -> CitationKey {
        use accessgraph_policy::Layer;
        let address =
            |text: &std::sync::Arc<str>| std::sync::Arc::as_ptr(text).cast::<u8>() as usize;
        let layer = match &citation.layer {
            Layer::Identity => (0, 0),
            Layer::Boundary => (1, 0),
            Layer::Session => (2, 0),
            Layer::Scp { target } => (3, address(target)),
            Layer::Rcp { target } => (4, address(target)),
            Layer::Resource => (5, 0),
            Layer::VpcEndpoint => (6, 0),
        };
        CitationKey {
            policy: address(&citation.policy),
            statement: citation.statement,
            layer,
            effect: citation.effect == accessgraph_policy::Effect::Allow,
            conditional: citation.conditional,
        }
    }
}

/// Accounts whose edges are built together (bounds the candidates held in memory).
const ACCOUNTS_PER_CHUNK: usize = 16;

/// Where an edge candidate starts or ends, before nodes have indices.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum NodeKey {
    /// A user or role, by its position among the actors (its node index).
    Actor(u32),
    /// A group, by ARN.
    Principal(String),
    /// A SAML or OIDC provider ARN, or a well-known web identity provider name.
    Provider(String),
    /// A service principal.
    Service(String),
    /// An account outside the snapshot.
    External(String),
    /// Anyone.
    Anyone,
    /// The admin helper node of an account.
    AccountAdmin(String),
    /// A resource with a policy, by ARN.
    Resource(String, String),
    /// The existing-compute helper node of (account, technique id).
    ExistingCompute(String, &'static str),
    /// An S3 canonical user id that no account of the snapshot has (an ACL grantee).
    CanonicalUser(String),
    /// The helper node of an account's principals that may assume any role.
    AssumeAnyRole(String),
    /// The helper node of new compute of a service in an account (whether the roles it stands
    /// for lack an instance profile).
    NewCompute(String, String, bool),
    /// The helper node of taking over any user of an account by one technique (catalog id).
    UserTakeover(String, &'static str),
}

/// An edge before insertion: like [`Edge`], with the citations themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Draft {
    pub(crate) kind: EdgeKind,
    pub(crate) technique: String,
    pub(crate) catalog_id: Option<&'static str>,
    pub(crate) evidence: Vec<accessgraph_policy::Citation>,
    pub(crate) conditions: accessgraph_policy::Conditions,
    pub(crate) requirements: Vec<String>,
    pub(crate) alternatives: Vec<String>,
    pub(crate) access: Box<[crate::model::Access]>,
}

impl Draft {
    /// An edge of `kind` with no evidence, conditions, requirements or alternatives yet.
    pub(crate) fn new(kind: EdgeKind, technique: impl Into<String>) -> Draft {
        Draft {
            kind,
            technique: technique.into(),
            catalog_id: None,
            evidence: Vec::new(),
            conditions: accessgraph_policy::Conditions::none(),
            requirements: Vec::new(),
            alternatives: Vec::new(),
            access: Box::default(),
        }
    }

    pub(crate) fn is_conditional(&self) -> bool {
        !self.conditions.is_settled() || !self.requirements.is_empty()
    }
}

/// An edge candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EdgeSpec {
    pub(crate) from: NodeKey,
    pub(crate) to: NodeKey,
    pub(crate) edge: Draft,
}

/// The accounts of a snapshot: names, which have IAM data, and the organization tree.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Directory {
    /// Account names from Organizations.
    pub(crate) names: BTreeMap<String, String>,
    /// Accounts with IAM data, sorted.
    pub(crate) accounts: Vec<String>,
    /// The organization.
    pub(crate) organization: Option<accessgraph_model::Organization>,
    /// What the snapshot lacks, by account (see [`Graph::gaps`]).
    pub(crate) gaps: Vec<accessgraph_model::Gap>,
}

/// The access graph of one snapshot.
#[derive(Debug, Clone)]
pub struct Graph {
    pub(crate) graph: DiGraph<Node, Edge, u32>,
    pub(crate) by_arn: HashMap<String, NodeIndex<u32>>,
    pub(crate) directory: Directory,
    admins_by_account: BTreeMap<String, Vec<NodeId>>,
    pub(crate) citations: Vec<accessgraph_policy::Citation>,
    pub(crate) adjacency: crate::search::Adjacency,
    pub(crate) warnings: Vec<String>,
}

fn admin_of(actor: &Actor, context: &Context<'_>) -> Option<Admin> {
    let account = context.account(&actor.account);
    let subject = Subject {
        principal: &actor.principal,
        policies: accessgraph_policy::PolicySet {
            identity: &actor.identity,
            boundary: actor.boundary.as_deref(),
            scps: account.scps.as_deref(),
            ..Default::default()
        },
        attached_policies: &actor.attached_customer,
        groups: &actor.groups,
        earliest_time: context.resolver.earliest_time(),
    };
    let full = full_admin(&subject);
    let check = if full.status == Tri::True || !may_self_escalate(actor) {
        full
    } else {
        let escalating = self_escalating_admin(&subject);
        match (full.status, escalating.status) {
            (_, Tri::True) | (Tri::False, Tri::Unknown) => escalating,
            _ => full,
        }
    };
    if check.status == Tri::False {
        return None;
    }
    let reason = match &check.reason {
        Some(AdminReason::FullAccess) | None => "full access".to_owned(),
        Some(AdminReason::SelfEscalation { technique, target }) => {
            format!("{} (`{target}`)", technique.description())
        }
    };
    Some(Admin {
        status: check.status,
        reason,
        evidence: check.evidence,
        conditions: check.conditions,
    })
}

/// Whether any identity statement could allow one of the actions self-escalation needs (a cheap
/// filter: most principals cannot touch IAM at all).
fn may_self_escalate(actor: &Actor) -> bool {
    // Built once: this runs for every principal of the organization.
    static ACTIONS: std::sync::LazyLock<Vec<accessgraph_policy::Action>> =
        std::sync::LazyLock::new(|| {
            [
                "iam:PutUserPolicy",
                "iam:AttachUserPolicy",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
                "iam:PutGroupPolicy",
                "iam:AttachGroupPolicy",
                "iam:CreatePolicyVersion",
                "iam:CreateRole",
            ]
            .into_iter()
            .map(accessgraph_policy::Action::new)
            .collect()
        });
    ACTIONS
        .iter()
        .any(|action| Context::might_allow(actor, action))
}

fn principal_node(actor: &Actor, admin: Option<Admin>) -> Node {
    Node {
        kind: if actor.is_user {
            NodeKind::User
        } else {
            NodeKind::Role
        },
        arn: actor.arn.clone(),
        name: actor.name.clone(),
        account: Some(actor.account.clone()),
        admin,
        instance_profiles: actor.instance_profiles.clone(),
        display_name: None,
    }
}

fn key_node(key: &NodeKey) -> Node {
    let account_of =
        |arn: &str| accessgraph_policy::arn_components(arn).map(|parts| parts[4].to_owned());
    match key {
        NodeKey::Actor(index) => Node {
            kind: NodeKind::Role,
            arn: format!("actor:{index}"),
            name: format!("actor {index}"),
            account: None,
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::Principal(arn) => Node {
            kind: NodeKind::Role,
            arn: arn.clone(),
            name: arn.rsplit('/').next().unwrap_or(arn).to_owned(),
            account: account_of(arn),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::Provider(name) => Node {
            kind: if name.contains(":saml-provider/") {
                NodeKind::SamlProvider
            } else {
                NodeKind::WebIdentityProvider
            },
            arn: name.clone(),
            name: name
                .split_once("-provider/")
                .map_or(name.as_str(), |(_, rest)| rest)
                .to_owned(),
            account: account_of(name),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::Service(name) => Node {
            kind: NodeKind::Service,
            arn: name.clone(),
            name: name.clone(),
            account: None,
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::External(account) => Node {
            kind: NodeKind::ExternalAccount,
            arn: format!("arn:aws:iam::{account}:root"),
            name: account.clone(),
            account: Some(account.clone()),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::CanonicalUser(id) => Node {
            kind: NodeKind::ExternalAccount,
            arn: format!("s3-canonical-user:{id}"),
            name: format!("S3 canonical user {}", id.get(..12).unwrap_or(id)),
            account: None,
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::AssumeAnyRole(account) => Node {
            kind: NodeKind::AssumeAnyRole,
            arn: format!("assume-any-role:{account}"),
            name: format!("principals of {account} that may assume any role"),
            account: Some(account.clone()),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::NewCompute(account, service, without_profile) => Node {
            kind: NodeKind::NewCompute,
            arn: format!(
                "new-compute:{account}:{service}{}",
                if *without_profile { ":no-profile" } else { "" }
            ),
            name: format!("new compute of {service} in {account}"),
            account: Some(account.clone()),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::UserTakeover(account, id) => Node {
            kind: NodeKind::UserTakeover,
            arn: format!("user-takeover:{account}:{id}"),
            name: format!("any user of {account} ({id})"),
            account: Some(account.clone()),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::Anyone => Node {
            kind: NodeKind::Anyone,
            arn: "*".into(),
            name: "*".into(),
            account: None,
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::AccountAdmin(account) => Node {
            kind: NodeKind::AccountAdmin,
            arn: format!("admin:{account}"),
            name: format!("administrators of {account}"),
            account: Some(account.clone()),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::Resource(arn, owner) => Node {
            kind: NodeKind::Resource,
            arn: arn.clone(),
            name: arn.rsplit([':', '/']).next().unwrap_or(arn).to_owned(),
            account: Some(owner.clone()),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
        NodeKey::ExistingCompute(account, technique) => Node {
            kind: NodeKind::ExistingCompute,
            arn: format!("existing:{account}:{technique}"),
            name: format!("existing compute ({technique}) in {account}"),
            account: Some(account.clone()),
            admin: None,
            instance_profiles: Vec::new(),
            display_name: None,
        },
    }
}

impl Graph {
    /// Builds the graph of a snapshot with the built-in techniques.
    #[must_use]
    pub fn build(snapshot: &Snapshot) -> Graph {
        Graph::build_with(snapshot, Techniques::builtin())
    }

    /// Builds the graph of a snapshot with `techniques` (the built-in ones and a team's own).
    #[must_use]
    pub fn build_with(snapshot: &Snapshot, techniques: Techniques) -> Graph {
        let mut context = Context::new(snapshot);
        context.techniques = techniques;
        context.prepare_sharing();
        let admins: Vec<Option<Admin>> = context
            .actors
            .par_iter()
            .map(|actor| admin_of(actor, &context))
            .collect();

        let mut graph: DiGraph<Node, Edge, u32> = DiGraph::default();
        let mut by_key: HashMap<NodeKey, NodeIndex<u32>> = HashMap::new();
        for (actor, admin) in context.actors.iter().zip(&admins) {
            let index = graph.add_node(principal_node(actor, admin.clone()));
            by_key.insert(NodeKey::Actor(actor.index), index);
        }
        for account in &snapshot.accounts {
            for group in &account.groups {
                let admin = crate::techniques::group_admin(&context, account, group);
                let index = graph.add_node(Node {
                    kind: NodeKind::Group,
                    arn: group.arn.clone(),
                    name: group.name.clone(),
                    account: Some(account.id.clone()),
                    admin,
                    instance_profiles: Vec::new(),
                    display_name: None,
                });
                by_key.insert(NodeKey::Principal(group.arn.clone()), index);
            }
            let providers = account
                .saml_providers
                .iter()
                .map(|provider| &provider.arn)
                .chain(account.oidc_providers.iter().map(|provider| &provider.arn));
            for arn in providers {
                let key = NodeKey::Provider(arn.clone());
                let index = graph.add_node(key_node(&key));
                by_key.insert(key, index);
            }
        }

        // Edges are built account by account (every edge ends in the account it is computed
        // for), so only one chunk of candidates is in memory at a time.
        // Every account with IAM data: one without users or roles may still own resources.
        let accounts: Vec<&String> = snapshot
            .accounts
            .iter()
            .map(|account| &account.id)
            .collect();
        let mut citations: Vec<accessgraph_policy::Citation> = Vec::new();
        let mut citation_ids: HashMap<CitationKey, u32> = HashMap::new();
        let mut shared = crate::share::Shared::default();
        for chunk in accounts.chunks(ACCOUNTS_PER_CHUNK) {
            let indices: Vec<usize> = chunk
                .iter()
                .flat_map(|account| context.account_indices(account))
                .collect();
            let mut specs: Vec<EdgeSpec> = indices
                .par_iter()
                .flat_map_iter(|idx| {
                    let mut specs = crate::assume::edges(&context, *idx);
                    specs.extend(crate::any_role::caller_edge(&context, *idx));
                    let definite_admin = admins.get(*idx).is_some_and(|admin| {
                        admin
                            .as_ref()
                            .is_some_and(|admin| admin.status == Tri::True)
                    });
                    if !definite_admin {
                        specs.extend(crate::techniques::edges(&context, *idx));
                    }
                    specs
                })
                .collect();
            let helpers: BTreeSet<(String, &'static str)> = specs
                .iter()
                .filter_map(|spec| match &spec.to {
                    NodeKey::ExistingCompute(account, id) => Some((account.clone(), *id)),
                    _ => None,
                })
                .collect();
            let helpers: Vec<(String, &'static str)> = helpers.into_iter().collect();
            specs.extend(crate::techniques::existing::runs_as_edges(
                &context, &helpers,
            ));
            specs.extend(crate::techniques::passrole::runs_as_edges(&context, &specs));
            specs.extend(crate::techniques::users::helper_edges(&context, &specs));
            specs.extend(member_edges(&context, &indices));
            specs.extend(
                chunk
                    .iter()
                    .flat_map(|account| crate::permit::edges(&context, account, &admins)),
            );
            specs.extend(admin_edges(&context, &admins, &indices));
            // New-PassRole pairs first: what they add is privilege escalation the assume pairs see.
            crate::techniques::passrole::keep_direct_beside(&context, &mut specs);
            crate::techniques::users::keep_direct_beside(&context, &mut specs);
            crate::any_role::keep_direct_beside(&context, &mut specs);
            let specs = merge_parallel(specs);
            let missing: BTreeSet<&NodeKey> = specs
                .iter()
                .flat_map(|spec| [&spec.from, &spec.to])
                .filter(|key| !by_key.contains_key(*key))
                .collect();
            for key in missing {
                let index = graph.add_node(key_node(key));
                by_key.insert(key.clone(), index);
            }
            // Reserved once: doubling a vector of large edges would briefly hold it twice.
            graph.reserve_edges(specs.len());
            for spec in specs {
                let (Some(from), Some(to)) = (by_key.get(&spec.from), by_key.get(&spec.to)) else {
                    continue;
                };
                let draft = spec.edge;
                let evidence: Vec<CitationId> = draft
                    .evidence
                    .into_iter()
                    .map(|citation| {
                        let next = u32::try_from(citations.len()).unwrap_or(u32::MAX);
                        let id = *citation_ids
                            .entry(CitationKey::of(&citation))
                            .or_insert_with(|| {
                                citations.push(citation);
                                next
                            });
                        CitationId(id)
                    })
                    .collect();
                let edge = Edge {
                    kind: draft.kind,
                    technique: shared.text(draft.technique),
                    catalog_id: draft.catalog_id,
                    evidence: shared.evidence(evidence),
                    conditions: shared.conditions(draft.conditions),
                    requirements: shared.list(draft.requirements),
                    alternatives: shared.list(draft.alternatives),
                    details: shared.list(Vec::new()),
                    access: shared.access(draft.access.into_vec()),
                };
                graph.add_edge(*from, *to, edge);
            }
        }
        let mut warnings = context.warnings.clone();
        if let Some(center) = snapshot
            .organization
            .as_ref()
            .and_then(|org| org.identity_center.as_ref())
        {
            let actors: HashMap<u32, NodeIndex<u32>> = by_key
                .iter()
                .filter_map(|(key, index)| match key {
                    NodeKey::Actor(actor) => Some((*actor, *index)),
                    _ => None,
                })
                .collect();
            crate::sso::add(&mut graph, &actors, &context, center, &mut warnings);
        }
        let directory = Directory {
            names: snapshot
                .organization
                .iter()
                .flat_map(|org| {
                    org.accounts
                        .iter()
                        .map(|account| (account.id.clone(), account.name.clone()))
                })
                .collect(),
            accounts: snapshot
                .accounts
                .iter()
                .map(|account| account.id.clone())
                .collect(),
            organization: snapshot.organization.clone(),
            gaps: gaps(snapshot),
        };
        Graph::assemble(graph, citations, directory, warnings)
    }

    /// A graph from its parts, with its indexes (ARN lookup, admins per account, adjacency).
    pub(crate) fn assemble(
        graph: DiGraph<Node, Edge, u32>,
        citations: Vec<accessgraph_policy::Citation>,
        directory: Directory,
        warnings: Vec<String>,
    ) -> Graph {
        // The two largest indexes are independent: built at once.
        let (by_arn, adjacency) = rayon::join(
            || crate::persist::arn_index(&graph),
            || crate::search::Adjacency::new(&graph),
        );
        let mut admins_by_account: BTreeMap<String, Vec<NodeId>> = BTreeMap::new();
        for index in graph.node_indices() {
            if let Some(node) = graph.node_weight(index) {
                if let (Some(_), Some(account)) = (&node.admin, &node.account) {
                    admins_by_account
                        .entry(account.clone())
                        .or_default()
                        .push(NodeId(index.index() as u32));
                }
            }
        }
        Graph {
            graph,
            by_arn,
            directory,
            admins_by_account,
            citations,
            adjacency,
            warnings,
        }
    }

    /// The node with this ARN (or service name, provider, `*`).
    #[must_use]
    pub fn find(&self, arn: &str) -> Option<NodeId> {
        self.by_arn
            .get(arn)
            .map(|index| NodeId(index.index() as u32))
    }

    /// A node.
    #[must_use]
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.graph.node_weight(NodeIndex::new(id.0 as usize))
    }

    /// An edge.
    #[must_use]
    pub fn edge(&self, id: crate::EdgeId) -> Option<&Edge> {
        self.graph
            .edge_weight(petgraph::graph::EdgeIndex::new(id.0 as usize))
    }

    /// How many nodes the graph has (helpers included).
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Every node, in id order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.graph.node_indices().filter_map(|index| {
            self.graph
                .node_weight(index)
                .map(|node| (NodeId(index.index() as u32), node))
        })
    }

    /// Every edge as `(from, to, edge)`, in id order.
    pub fn edges(&self) -> impl Iterator<Item = (NodeId, NodeId, &Edge)> {
        self.graph.edge_indices().filter_map(|index| {
            let (from, to) = self.graph.edge_endpoints(index)?;
            let edge = self.graph.edge_weight(index)?;
            Some((NodeId(from.index() as u32), NodeId(to.index() as u32), edge))
        })
    }

    /// The principals that are administrators of `account` (definitely or conditionally).
    #[must_use]
    pub fn admins(&self, account: &str) -> Vec<NodeId> {
        self.admin_nodes(account)
            .filter(|id| {
                self.node(*id)
                    .is_some_and(|node| node.kind != NodeKind::Group)
            })
            .collect()
    }

    /// The administrators of `account` and its groups whose policies make members
    /// administrators: what joining (`iam:AddUserToGroup`) or being an administrator reaches.
    pub(crate) fn admin_nodes(&self, account: &str) -> impl Iterator<Item = NodeId> + '_ {
        self.admins_by_account
            .get(account)
            .into_iter()
            .flatten()
            .copied()
    }

    /// An account's name from Organizations, if known.
    #[must_use]
    pub fn account_name(&self, account: &str) -> Option<&str> {
        self.directory.names.get(account).map(String::as_str)
    }

    /// The accounts whose IAM data the snapshot holds, sorted.
    #[must_use]
    pub fn accounts(&self) -> &[String] {
        &self.directory.accounts
    }

    /// The organization (its tree, accounts and policies), when the snapshot has one.
    #[must_use]
    pub fn organization(&self) -> Option<&accessgraph_model::Organization> {
        self.directory.organization.as_ref()
    }

    /// A citation of an edge's evidence.
    #[must_use]
    pub fn citation(&self, id: CitationId) -> Option<&accessgraph_policy::Citation> {
        self.citations.get(id.0 as usize)
    }

    /// Problems met while building (unknown managed policies, incomplete SCP targets, ...).
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// What the snapshot lacks, sorted: the ingest's gaps (files skipped as invalid, calls the
    /// collector could not make) and every account, listed by Organizations or holding other
    /// data, of which no IAM data was read. An answer touching them must say so.
    #[must_use]
    pub fn gaps(&self) -> &[accessgraph_model::Gap] {
        &self.directory.gaps
    }
}

/// The snapshot's gaps, with an account of no IAM data (no user, group, role or managed policy:
/// every real account has roles) as one more.
fn gaps(snapshot: &Snapshot) -> Vec<accessgraph_model::Gap> {
    let mut gaps = snapshot.gaps.clone();
    let with_iam: BTreeSet<&str> = snapshot
        .accounts
        .iter()
        .filter(|account| {
            !(account.users.is_empty()
                && account.groups.is_empty()
                && account.roles.is_empty()
                && account.managed_policies.is_empty())
        })
        .map(|account| account.id.as_str())
        .collect();
    let known = snapshot
        .accounts
        .iter()
        .map(|account| account.id.as_str())
        .chain(
            snapshot
                .organization
                .iter()
                .flat_map(|org| org.accounts.iter().map(|account| account.id.as_str())),
        );
    let missing: BTreeSet<&str> = known.filter(|id| !with_iam.contains(id)).collect();
    gaps.extend(missing.into_iter().map(|account| accessgraph_model::Gap {
        account: Some(account.to_owned()),
        what: "has no IAM data (no get-account-authorization-details was read)".to_owned(),
    }));
    gaps.sort();
    gaps.dedup();
    gaps
}

/// Keeps one edge per (from, to, kind): the most certain (definite before conditional, fewer
/// requirements), recording the other techniques as alternatives. Sorted, so builds are
/// deterministic.
pub(crate) fn merge_parallel(mut specs: Vec<EdgeSpec>) -> Vec<EdgeSpec> {
    let rank = |spec: &EdgeSpec| {
        (
            spec.edge.is_conditional(),
            spec.edge.requirements.len(),
            spec.edge.conditions.list.len(),
        )
    };
    // The catalog id breaks ties: two techniques may use the same calls (ec2-004, ec2-005).
    specs.par_sort_unstable_by(|a, b| {
        (
            &a.from,
            &a.to,
            a.edge.kind,
            rank(a),
            &a.edge.technique,
            a.edge.catalog_id,
        )
            .cmp(&(
                &b.from,
                &b.to,
                b.edge.kind,
                rank(b),
                &b.edge.technique,
                b.edge.catalog_id,
            ))
    });
    // In place: `later` is dropped after its technique (`TECHNIQUE [CATALOG_ID]`) is recorded on
    // the kept `earlier`.
    specs.dedup_by(|later, earlier| {
        let same = later.from == earlier.from
            && later.to == earlier.to
            && later.edge.kind == earlier.edge.kind;
        let other = later.edge.technique != earlier.edge.technique
            || later.edge.catalog_id != earlier.edge.catalog_id;
        if same && other {
            let label = match later.edge.catalog_id {
                Some(id) => format!("{} [{id}]", later.edge.technique),
                None => std::mem::take(&mut later.edge.technique),
            };
            if !earlier.edge.alternatives.contains(&label) {
                earlier.edge.alternatives.push(label);
            }
        }
        same
    });
    specs.shrink_to_fit();
    specs
}

fn member_edges(context: &Context<'_>, indices: &[usize]) -> Vec<EdgeSpec> {
    let mut specs = Vec::new();
    for actor in indices.iter().filter_map(|idx| context.actors.get(*idx)) {
        for group in &actor.groups {
            specs.push(EdgeSpec {
                from: NodeKey::Actor(actor.index),
                to: NodeKey::Principal(group.arn.clone()),
                edge: Draft::new(EdgeKind::Member, "member"),
            });
        }
    }
    specs
}

/// Admin principals reach their account's admin node, which takes over every principal of the
/// account but service-linked and IAM Identity Center roles (whose policies and trust only AWS
/// edits).
fn admin_edges(
    context: &Context<'_>,
    admins: &[Option<Admin>],
    indices: &[usize],
) -> Vec<EdgeSpec> {
    let mut specs = Vec::new();
    for idx in indices {
        let (Some(actor), Some(admin)) = (context.actors.get(*idx), admins.get(*idx)) else {
            continue;
        };
        if let Some(admin) = admin {
            specs.push(EdgeSpec {
                from: NodeKey::Actor(actor.index),
                to: NodeKey::AccountAdmin(actor.account.clone()),
                edge: Draft {
                    evidence: admin.evidence.clone(),
                    conditions: admin.conditions.clone(),
                    ..Draft::new(EdgeKind::Admin, format!("administrator: {}", admin.reason))
                },
            });
        }
        // AWS manages the policies and trust of service-linked and Identity Center roles.
        if !accessgraph_policy::is_aws_managed_role(&actor.arn) {
            let technique = if actor.is_user {
                "administrator takes over the user (iam:CreateAccessKey, iam:CreateLoginProfile)"
            } else {
                "administrator takes over the role (iam:UpdateAssumeRolePolicy, sts:AssumeRole)"
            };
            specs.push(EdgeSpec {
                from: NodeKey::AccountAdmin(actor.account.clone()),
                to: NodeKey::Actor(actor.index),
                edge: Draft::new(EdgeKind::Takeover, technique),
            });
        }
    }
    specs
}
