//! Which statements can match an action of a given service, so evaluation skips the rest.
//!
//! Built once per document. A statement whose action patterns all name a literal service
//! (`s3:Get*`) is filed under those services; one with a wildcard in the service part (`*`,
//! `s3*:Get`) or a `NotAction` element is a candidate for every service.

use super::Statement;

/// FNV-1a fingerprint of a lowercased service prefix: lookups compare it before the text.
#[must_use]
pub(crate) fn fingerprint(service: &str) -> u64 {
    service.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Statement indices by lowercased service prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActionIndex {
    /// Sorted by service; indices ascending.
    by_service: Vec<(u64, Box<str>, Vec<u32>)>,
    /// Statements that may match any service; ascending.
    always: Vec<u32>,
}

impl ActionIndex {
    pub(crate) fn new(statements: &[Statement]) -> ActionIndex {
        let mut index = ActionIndex::default();
        for (position, statement) in statements.iter().enumerate() {
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            let services: Option<Vec<String>> = if statement.actions.negated {
                None
            } else {
                statement
                    .actions
                    .patterns
                    .iter()
                    .map(|pattern| literal_service(pattern.as_str()))
                    .collect()
            };
            let Some(mut services) = services else {
                index.always.push(position);
                continue;
            };
            services.sort();
            services.dedup();
            for service in services {
                match index
                    .by_service
                    .binary_search_by(|(_, known, _)| (**known).cmp(service.as_str()))
                {
                    Ok(found) => {
                        if let Some((_, _, positions)) = index.by_service.get_mut(found) {
                            positions.push(position);
                        }
                    }
                    Err(insert_at) => {
                        let entry = (fingerprint(&service), service.into(), vec![position]);
                        index.by_service.insert(insert_at, entry);
                    }
                }
            }
        }
        index
    }

    /// Positions of the statements that may match an action of `service` (lowercased, with its
    /// [`fingerprint`]), ascending.
    pub(crate) fn candidates<'a>(
        &'a self,
        service: &str,
        hash: u64,
    ) -> impl Iterator<Item = usize> + 'a {
        // Documents name few services: a linear scan comparing fingerprints first is fastest.
        let specific: &[u32] = self
            .by_service
            .iter()
            .find(|(known_hash, known, _)| *known_hash == hash && **known == *service)
            .map_or(&[], |(_, _, positions)| positions.as_slice());
        Merge {
            left: self.always.as_slice(),
            right: specific,
        }
        .map(|position| position as usize)
    }
}

/// The lowercased service of an action pattern, or `None` if the service part has a wildcard.
fn literal_service(pattern: &str) -> Option<String> {
    let (service, _) = pattern.split_once(':')?;
    (!service.contains(['*', '?'])).then(|| service.to_ascii_lowercase())
}

/// Merges two ascending lists without duplicates.
struct Merge<'a> {
    left: &'a [u32],
    right: &'a [u32],
}

impl Iterator for Merge<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        match (self.left.split_first(), self.right.split_first()) {
            (Some((l, left_rest)), Some((r, right_rest))) => {
                if l <= r {
                    self.left = left_rest;
                    if l == r {
                        self.right = right_rest;
                    }
                    Some(*l)
                } else {
                    self.right = right_rest;
                    Some(*r)
                }
            }
            (Some((l, rest)), None) => {
                self.left = rest;
                Some(*l)
            }
            (None, Some((r, rest))) => {
                self.right = rest;
                Some(*r)
            }
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::document::PolicyDocument;

    fn candidates(document: &str, service: &str) -> Vec<usize> {
        let document = PolicyDocument::parse(document).unwrap();
        document
            .action_index
            .candidates(service, super::fingerprint(service))
            .collect()
    }

    #[test]
    fn files_statements_by_service() {
        let document = r#"{"Statement":[
            {"Effect":"Allow","Action":"s3:Get*","Resource":"*"},
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Allow","Action":["EC2:Describe*","s3:Put*"],"Resource":"*"},
            {"Effect":"Deny","NotAction":"iam:*","Resource":"*"},
            {"Effect":"Allow","Action":"s?s:SendMessage","Resource":"*"},
            {"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}
        ]}"#;
        assert_eq!(candidates(document, "s3"), [0, 1, 2, 3, 4]);
        assert_eq!(candidates(document, "ec2"), [1, 2, 3, 4, 5]);
        assert_eq!(candidates(document, "iam"), [1, 3, 4]);
    }
}
