//! Bearer-token authentication: a read token and an admin token, compared in constant time (as
//! SHA-256 digests, so neither the length nor the content of a token leaks through timing).
//! Tokens are never logged. Calls on the local Unix socket are authenticated by the peer's user
//! id instead: the store's owner (or root) is trusted with admin rights, anyone else is refused.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::metadata::MetadataMap;
use tonic::{Request, Status};

/// What a call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Queries and listings.
    Read,
    /// Ingest and changing the served snapshot.
    Admin,
}

/// The server's tokens (digests only).
#[derive(Clone, Default)]
pub struct Tokens {
    read: Option<[u8; 32]>,
    admin: Option<[u8; 32]>,
    /// The user id trusted on the local socket.
    local_owner: Option<u32>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("read", &self.read.is_some())
            .field("admin", &self.admin.is_some())
            .field("local_owner", &self.local_owner)
            .finish()
    }
}

/// The token of an `authorization` value: the `Bearer` scheme is case-insensitive (RFC 6750
/// §2.1, RFC 7235 §2.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Tokens from their texts (surrounding whitespace is not part of a token). Without a read
    /// token, reads are open; without an admin token, admin calls are refused.
    #[must_use]
    pub fn new(read: Option<&str>, admin: Option<&str>) -> Tokens {
        Tokens {
            read: read.map(|token| digest(token.trim())),
            admin: admin.map(|token| digest(token.trim())),
            local_owner: None,
        }
    }

    /// Trusts calls on the local socket from the user `uid` (and root).
    #[must_use]
    pub fn with_local_owner(mut self, uid: u32) -> Tokens {
        self.local_owner = Some(uid);
        self
    }

    /// Checks a call: on the local socket by its peer's user id, elsewhere by its token.
    ///
    /// # Errors
    /// As [`Tokens::check`]; `PermissionDenied` on the local socket for another user.
    pub fn check_request<T>(&self, request: &Request<T>, access: Access) -> Result<(), Status> {
        #[cfg(unix)]
        if let Some(local) = request
            .extensions()
            .get::<tonic::transport::server::UdsConnectInfo>()
        {
            return self.check_local(local.peer_cred.map(|cred| cred.uid()));
        }
        self.check(request.metadata(), access)
    }

    /// The store's owner and root may use the local socket; nobody else, whatever the socket
    /// file's mode says.
    fn check_local(&self, peer: Option<u32>) -> Result<(), Status> {
        match (self.local_owner, peer) {
            (Some(owner), Some(uid)) if uid == owner || uid == 0 => Ok(()),
            _ => Err(Status::permission_denied(
                "the local socket is for the store's owner only",
            )),
        }
    }

    /// Checks a call's `authorization` metadata.
    ///
    /// # Errors
    /// `Unauthenticated` without a valid token, `PermissionDenied` when the token is valid but
    /// does not allow the call.
    pub fn check(&self, metadata: &MetadataMap, access: Access) -> Result<(), Status> {
        let presented = metadata
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .map(|token| digest(token.trim()));
        let matches = |expected: &Option<[u8; 32]>| match (expected, &presented) {
            (Some(expected), Some(presented)) => bool::from(expected.ct_eq(presented)),
            _ => false,
        };
        let is_admin = matches(&self.admin);
        match access {
            Access::Read if self.read.is_none() || is_admin || matches(&self.read) => Ok(()),
            Access::Admin if is_admin => Ok(()),
            Access::Admin if self.admin.is_none() => Err(Status::permission_denied(
                "this server has no admin token (`--admin-token-file`): admin calls are disabled",
            )),
            Access::Admin if presented.is_some() && matches(&self.read) => {
                Err(Status::permission_denied("this call needs the admin token"))
            }
            _ if presented.is_none() => Err(Status::unauthenticated(
                "missing `authorization: Bearer TOKEN` metadata",
            )),
            _ => Err(Status::unauthenticated("invalid token")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(token: Option<&str>) -> MetadataMap {
        let mut map = MetadataMap::new();
        if let Some(token) = token {
            map.insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        map
    }

    #[test]
    fn tokens_grant_what_they_should() {
        let tokens = Tokens::new(Some("reader\n"), Some("admin"));
        let code = |token, access| {
            tokens
                .check(&metadata(token), access)
                .err()
                .map(|status| status.code())
        };
        use tonic::Code;
        assert_eq!(code(Some("reader"), Access::Read), None);
        for scheme in ["bearer", "BEARER", "bEaReR"] {
            let mut map = MetadataMap::new();
            map.insert("authorization", format!("{scheme} reader").parse().unwrap());
            assert!(tokens.check(&map, Access::Read).is_ok(), "{scheme}");
        }
        let mut basic = MetadataMap::new();
        basic.insert("authorization", "Basic reader".parse().unwrap());
        assert!(tokens.check(&basic, Access::Read).is_err());
        assert_eq!(code(Some("admin"), Access::Read), None);
        assert_eq!(code(Some("admin"), Access::Admin), None);
        assert_eq!(
            code(Some("reader"), Access::Admin),
            Some(Code::PermissionDenied)
        );
        assert_eq!(
            code(Some("wrong"), Access::Read),
            Some(Code::Unauthenticated)
        );
        assert_eq!(code(None, Access::Read), Some(Code::Unauthenticated));
        assert_eq!(code(None, Access::Admin), Some(Code::Unauthenticated));
        let local = Tokens::new(None, None).with_local_owner(1000);
        assert!(local.check_local(Some(1000)).is_ok());
        assert!(local.check_local(Some(0)).is_ok());
        assert_eq!(
            local.check_local(Some(1001)).unwrap_err().code(),
            Code::PermissionDenied
        );
        assert!(local.check_local(None).is_err());
        assert!(Tokens::new(None, None).check_local(Some(0)).is_err());
        let open = Tokens::new(None, None);
        assert!(open.check(&metadata(None), Access::Read).is_ok());
        assert_eq!(
            open.check(&metadata(Some("x")), Access::Admin)
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
    }
}
