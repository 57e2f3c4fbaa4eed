//! A policy document with the label that decisions cite, and the policy sets of a request.

use std::sync::Arc;

use crate::document::{ParseOptions, PolicyDocument, PolicyError};

/// A labelled policy: the document plus how evidence names it (a policy ARN, or
/// `role/NAME#inline/POLICY` for inline policies).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    label: Arc<str>,
    document: Arc<PolicyDocument>,
    via: Option<Arc<str>>,
}

impl Policy {
    /// Wraps a parsed document.
    #[must_use]
    pub fn new(label: impl Into<Arc<str>>, document: PolicyDocument) -> Policy {
        Policy::shared(label, Arc::new(document))
    }

    /// Wraps a document shared with other labels (the same managed policy attached to many
    /// principals is parsed once).
    #[must_use]
    pub fn shared(label: impl Into<Arc<str>>, document: Arc<PolicyDocument>) -> Policy {
        Policy {
            label: label.into(),
            document,
            via: None,
        }
    }

    /// Parses document text (object, JSON string or URL-encoded) with default options.
    pub fn parse(label: impl Into<Arc<str>>, text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_with(label, text, &ParseOptions::default())
    }

    /// Parses document text with explicit options.
    pub fn parse_with(
        label: impl Into<Arc<str>>,
        text: &str,
        options: &ParseOptions,
    ) -> Result<Policy, PolicyError> {
        Ok(Policy::new(
            label,
            PolicyDocument::parse_with(text, options)?,
        ))
    }

    /// The same policy as it applies through a group (a user's group's inline or attached
    /// policy): evidence names the group.
    #[must_use]
    pub fn through_group(&self, group: impl Into<Arc<str>>) -> Policy {
        Policy {
            via: Some(group.into()),
            ..self.clone()
        }
    }

    /// The group (ARN) through which this policy applies, if any.
    #[must_use]
    pub fn via(&self) -> Option<&Arc<str>> {
        self.via.as_ref()
    }

    /// How evidence names this policy.
    #[must_use]
    pub fn label(&self) -> &Arc<str> {
        &self.label
    }

    /// The document.
    #[must_use]
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }
}

/// The policies of one level of an Organizations chain (root, an OU, or the account).
#[derive(Debug, Clone, PartialEq)]
pub struct OrgLevel {
    /// The root, OU or account id the policies are attached to.
    pub target: Arc<str>,
    /// SCPs or RCPs attached at this level.
    pub policies: Vec<Arc<Policy>>,
}

/// Every policy that takes part in one request (iam-semantics.md §3.7).
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// Identity policies: inline and managed of the user or role, and of the user's groups.
    pub identity: &'a [Arc<Policy>],
    /// The permissions boundary of the user or role.
    pub boundary: Option<&'a Policy>,
    /// A session policy passed when the session was created.
    pub session: Option<&'a Policy>,
    /// SCP chain from the root to the account; `None` when the caller is not subject to SCPs
    /// (management account, outside any organization).
    pub scps: Option<&'a [OrgLevel]>,
    /// RCP chain of the resource's account; `None` when no RCPs apply (management account,
    /// outside any organization).
    pub rcps: Option<&'a [OrgLevel]>,
    /// The resource-based policy (a role's trust policy for `sts:AssumeRole*`).
    pub resource: Option<&'a Policy>,
    /// An S3 bucket's ACL written as a policy (allow statements naming accounts or everyone),
    /// part of the resource side next to the bucket policy.
    pub acl: Option<&'a Policy>,
    /// The policy of the VPC endpoint the request goes through, if it goes through one: it must
    /// allow the request too, and its denies deny (VPC User Guide, endpoint policies).
    pub vpc_endpoint: Option<&'a Policy>,
}
