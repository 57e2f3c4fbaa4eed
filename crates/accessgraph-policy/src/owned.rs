//! What AWS owns in a customer's account, which no customer policy can let a principal change:
//! AWS managed policies, service-linked roles (changed only through their service), IAM Identity
//! Center's `AWSReservedSSO_*` roles (changed only through Identity Center), and the `alias/aws/`
//! aliases of AWS managed KMS keys. Kept as data: which resources, which actions.

/// A kind of AWS-owned resource: how to recognise its ARN, the actions that would change it, and
/// why they are refused.
struct Owned {
    /// The ARN's resource part starts with this (after `arn:PARTITION:SERVICE:REGION:ACCOUNT:`).
    resource_prefix: &'static str,
    /// The ARN's service and account (`None`: any account).
    service: &'static str,
    account: Option<&'static str>,
    /// The refused actions, lowercase.
    actions: &'static [&'static str],
    reason: &'static str,
}

/// Changes to a role's permissions or trust (IAM/using-service-linked-roles.html: the policies of
/// a service-linked role cannot be edited; IAM Identity Center: `AWSReservedSSO_*` roles are
/// managed through permission sets only).
const ROLE_CHANGES: [&str; 8] = [
    "iam:updateassumerolepolicy",
    "iam:putrolepolicy",
    "iam:attachrolepolicy",
    "iam:detachrolepolicy",
    "iam:deleterolepolicy",
    "iam:putrolepermissionsboundary",
    "iam:deleterolepermissionsboundary",
    "iam:deleterole",
];

const OWNED: [Owned; 4] = [
    Owned {
        resource_prefix: "policy/",
        service: "iam",
        account: Some("aws"),
        actions: &[
            "iam:createpolicyversion",
            "iam:setdefaultpolicyversion",
            "iam:deletepolicyversion",
            "iam:deletepolicy",
            "iam:tagpolicy",
            "iam:untagpolicy",
        ],
        reason: "an AWS managed policy: only AWS changes it",
    },
    Owned {
        resource_prefix: "role/aws-service-role/",
        service: "iam",
        account: None,
        actions: &ROLE_CHANGES,
        reason: "a service-linked role: its policies and trust change only through its service",
    },
    Owned {
        resource_prefix: "role/aws-reserved/sso.amazonaws.com/",
        service: "iam",
        account: None,
        actions: &ROLE_CHANGES,
        reason: "an IAM Identity Center role: it changes only through its permission set",
    },
    Owned {
        resource_prefix: "alias/aws/",
        service: "kms",
        account: None,
        actions: &["kms:createalias", "kms:deletealias", "kms:updatealias"],
        reason: "an alias of an AWS managed key: only AWS changes it",
    },
];

/// Why `action` (lowercase) on `resource` (an ARN) is refused to every customer principal, if it
/// changes a resource AWS owns.
#[must_use]
pub fn aws_owned(resource: &str, action_lower: &str) -> Option<&'static str> {
    aws_owned_parts(crate::arn::components(resource).as_ref(), action_lower)
}

/// [`aws_owned`] on an ARN already split into its six components.
pub(crate) fn aws_owned_parts(
    parts: Option<&[&str; 6]>,
    action_lower: &str,
) -> Option<&'static str> {
    let [_, _, service, _, account, rest] = parts?;
    // Only IAM and KMS resources are listed: most requests stop here.
    if !matches!(*service, "iam" | "kms") {
        return None;
    }
    OWNED
        .iter()
        .find(|owned| {
            owned.service == *service
                && owned.account.is_none_or(|owner| owner == *account)
                && rest.starts_with(owned.resource_prefix)
                && owned.actions.contains(&action_lower)
        })
        .map(|owned| owned.reason)
}

/// Whether a role ARN names a role whose policies and trust AWS manages (service-linked, IAM
/// Identity Center): no administrator of the account can take it over by editing it.
#[must_use]
pub fn is_aws_managed_role(role_arn: &str) -> bool {
    aws_owned(role_arn, "iam:updateassumerolepolicy").is_some()
}

#[cfg(test)]
mod tests {
    use super::{aws_owned, is_aws_managed_role};

    #[test]
    fn owned_resources_and_their_actions() {
        let managed = "arn:aws:iam::aws:policy/AdministratorAccess";
        assert!(aws_owned(managed, "iam:createpolicyversion").is_some());
        assert!(aws_owned(managed, "iam:getpolicy").is_none());
        let customer = "arn:aws:iam::111122223333:policy/AdministratorAccess";
        assert!(aws_owned(customer, "iam:createpolicyversion").is_none());
        let slr = "arn:aws:iam::111122223333:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport";
        assert!(aws_owned(slr, "iam:putrolepolicy").is_some());
        assert!(aws_owned(slr, "iam:updateroledescription").is_none());
        assert!(is_aws_managed_role(
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
        ));
        assert!(!is_aws_managed_role("arn:aws:iam::111122223333:role/app"));
        assert!(
            aws_owned(
                "arn:aws:kms:us-east-1:111122223333:alias/aws/s3",
                "kms:updatealias"
            )
            .is_some()
        );
        assert!(
            aws_owned(
                "arn:aws:kms:us-east-1:111122223333:alias/app",
                "kms:updatealias"
            )
            .is_none()
        );
    }
}
