//! S3 access control lists (`s3/acl/BUCKET.json`, `get-bucket-acl`) and ownership controls
//! (`s3/ownership/BUCKET.json`, `get-bucket-ownership-controls`): the third way to share a bucket.

use accessgraph_model::{AclGrant, AclGrantee, BucketAcl};

use crate::error::IngestError;
use crate::fragment::Fragment;
use crate::json::{Node, Result};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const PERMISSIONS: [&str; 5] = ["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"];

/// `get-bucket-acl`.
pub(crate) fn acl(root: Node<'_>, account: &str, bucket: &str) -> Result<Fragment> {
    let owner = root
        .with_field("Owner", |owner| owner.opt_str("ID"))?
        .flatten();
    let mut grants = root.each("Grants", |grant| {
        let permission = grant.str_field("Permission")?;
        if !PERMISSIONS.contains(&permission.as_str()) {
            return Err(IngestError::at(
                grant.file,
                format!("{}.Permission", grant.path()),
                format!(
                    "expected one of {}, found `{permission}`",
                    PERMISSIONS.join(", ")
                ),
            ));
        }
        let grantee = grant.with_required("Grantee", |grantee| {
            Ok(match grantee.str_field("Type")?.as_str() {
                "CanonicalUser" => AclGrantee::CanonicalUser(grantee.str_field("ID")?),
                "Group" => match grantee.str_field("URI")?.as_str() {
                    ALL_USERS => AclGrantee::AllUsers,
                    AUTHENTICATED_USERS => AclGrantee::AuthenticatedUsers,
                    other => AclGrantee::Other(other.to_owned()),
                },
                other => AclGrantee::Other(
                    grantee
                        .opt_str("EmailAddress")?
                        .unwrap_or_else(|| other.to_owned()),
                ),
            })
        })?;
        Ok(AclGrant {
            grantee,
            permission,
        })
    })?;
    grants.sort();
    grants.dedup();
    Ok(Fragment::BucketAcl {
        account: account.to_owned(),
        acl: BucketAcl {
            bucket: bucket.to_owned(),
            owner,
            grants,
            ownership: None,
        },
    })
}

/// `get-bucket-ownership-controls`.
pub(crate) fn ownership(root: Node<'_>, account: &str, bucket: &str) -> Result<Fragment> {
    let ownership = root.with_required("OwnershipControls", |controls| {
        Ok(controls
            .each("Rules", |rule| rule.opt_str("ObjectOwnership"))?
            .into_iter()
            .flatten()
            .next())
    })?;
    Ok(Fragment::BucketOwnership {
        account: account.to_owned(),
        bucket: bucket.to_owned(),
        ownership,
    })
}
