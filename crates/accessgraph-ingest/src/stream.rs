//! Reading a JSON file in bounded memory. An authorization dump
//! (`get-account-authorization-details`, hundreds of MiB in large accounts) is streamed: each
//! user, group, role and managed policy is parsed alone, turned into the model and dropped, so
//! memory follows the model, not the file. A file outside the layout is recognised on the way:
//! an authorization dump by its lists, anything else by a sample of its members (arrays cut to
//! their first item), then read whole like every other small output.

use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use accessgraph_model::{Group, ManagedPolicy, Role, User};
use serde::Deserialize as _;
use serde::de::{
    self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value};

use crate::error::IngestError;
use crate::fragment::{Documents, Fragment};
use crate::iam;
use crate::json::{self, Node};
use crate::source::{Gauge, Limits, Metered, Refusal, human_bytes};

/// The bytes of one file: on disk, or in memory (the fuzz target's input).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    File(&'a Path),
    Bytes(&'a [u8]),
}

impl<'a> Source<'a> {
    fn open(self) -> std::io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            Source::File(path) => Box::new(std::fs::File::open(path)?),
            Source::Bytes(bytes) => Box::new(bytes),
        })
    }
}

/// A file being read: its name (relative to the snapshot root), its bytes and the limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading<'a> {
    pub(crate) name: &'a str,
    pub(crate) source: Source<'a>,
    pub(crate) limits: Limits,
}

/// What streaming a file found.
pub(crate) enum Streamed {
    /// An authorization dump, parsed.
    Authorization(Fragment),
    /// Something else (only for a file read by its content): its top-level members, arrays cut
    /// to their first item, to recognise it by; `Null` when it is not a JSON object.
    Sample(Value),
}

type Reader<'a> = BufReader<Metered<Box<dyn Read + 'a>>>;

impl<'a> Reading<'a> {
    fn reader(&self, gauge: &Rc<Gauge>) -> Result<Reader<'a>, IngestError> {
        let inner = self
            .source
            .open()
            .map_err(|error| IngestError::file(self.name, format!("cannot read: {error}")))?;
        // The meter sees the bytes as the buffer fetches them: a buffer small beside the element
        // bound keeps the bound exact enough.
        let capacity = (self.limits.element_bytes / 64).clamp(16, 64 * 1024);
        Ok(BufReader::with_capacity(
            usize::try_from(capacity).unwrap_or(64 * 1024),
            Metered::new(inner, gauge.clone(), self.limits),
        ))
    }

    /// Parses the whole file as one JSON value (the outputs other than authorization dumps).
    pub(crate) fn value(&self) -> Result<Value, IngestError> {
        let gauge = Rc::new(Gauge::default());
        let mut deserializer = serde_json::Deserializer::from_reader(self.reader(&gauge)?);
        let parsed = (&mut deserializer)
            .deserialize_any(Member::file(&gauge))
            .and_then(|value| {
                deserializer.end()?;
                Ok(value)
            });
        parsed.map_err(|error| self.failure(error, &gauge))
    }

    /// Streams an authorization dump, of `account` when its path in the layout says so; without
    /// an account (a file outside the layout), the file is recognised on the way: an
    /// authorization dump takes its account from the ARNs inside, anything else is sampled.
    pub(crate) fn stream(
        &self,
        account: Option<&str>,
        documents: &mut Documents,
    ) -> Result<Streamed, IngestError> {
        let gauge = Rc::new(Gauge::default());
        let mut page = Page::new(self.name, &gauge, account, documents);
        let mut deserializer = serde_json::Deserializer::from_reader(self.reader(&gauge)?);
        let parsed = (&mut deserializer)
            .deserialize_any(TopVisitor(&mut page))
            .and_then(|()| deserializer.end());
        if let Err(error) = parsed {
            if let Some(failure) = page.failure.take() {
                return Err(failure);
            }
            if !page.opened && error.classify() == serde_json::error::Category::Data {
                return match account {
                    Some(_) => Err(IngestError::at(
                        self.name,
                        "$",
                        "expected an object of get-account-authorization-details output",
                    )),
                    None => Ok(Streamed::Sample(Value::Null)),
                };
            }
            return Err(self.failure(error, &gauge));
        }
        page.finish()
    }

    /// The error of a failed parse: a limit that stopped the reader, a syntax error at its JSON
    /// path (found by reading the file again up to the error), or a type error at the element being read.
    fn failure(&self, error: serde_json::Error, gauge: &Gauge) -> IngestError {
        use serde_json::error::Category;
        let at = &gauge.element_path();
        match gauge.refusal() {
            Some(Refusal::Element(limit)) => {
                return IngestError::at(
                    self.name,
                    at,
                    format!(
                        "larger than {}, the most one element may hold: refused without reading \
                         it whole",
                        human_bytes(limit)
                    ),
                );
            }
            Some(Refusal::Memory(message)) => {
                return IngestError::exhausted(
                    self.name,
                    format!("{message} at byte {} of this file", gauge.position()),
                );
            }
            None => {}
        }
        match error.classify() {
            Category::Io => IngestError::file(self.name, format!("cannot read: {error}")),
            Category::Data => IngestError::at(self.name, at, error.to_string()),
            Category::Syntax | Category::Eof => {
                if error.to_string().contains("recursion limit") {
                    return IngestError::file(
                        self.name,
                        format!(
                            "JSON nested more than 128 levels deep (line {}, column {})",
                            error.line(),
                            error.column()
                        ),
                    );
                }
                let path = self.source.open().map_or_else(
                    |_| at.to_owned(),
                    |reader| {
                        let bytes = BufReader::new(reader).bytes().map_while(Result::ok);
                        json::path_at(bytes, error.line(), error.column())
                    },
                );
                IngestError::at(self.name, path, format!("invalid JSON: {error}"))
            }
        }
    }
}

/// The lists of an authorization dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Users,
    Groups,
    Roles,
    Policies,
}

impl List {
    fn of(key: &str) -> Option<List> {
        match key {
            "UserDetailList" => Some(List::Users),
            "GroupDetailList" => Some(List::Groups),
            "RoleDetailList" => Some(List::Roles),
            "Policies" => Some(List::Policies),
            _ => None,
        }
    }
}

/// The state of one streamed file.
struct Page<'a> {
    file: &'a str,
    gauge: &'a Gauge,
    documents: &'a mut Documents,
    /// The account the layout path names; `None`: a file read by its content.
    layout_account: Option<&'a str>,
    /// Whether the file is known to be an authorization dump.
    authorization: bool,
    /// Whether the top level was an object.
    opened: bool,
    users: Vec<User>,
    groups: Vec<Group>,
    roles: Vec<Role>,
    policies: Vec<ManagedPolicy>,
    /// `Policies` items met before the file showed itself an authorization dump (they are
    /// `iam list-policies` entries when it is not), with their paths.
    pending: Vec<(String, Value)>,
    /// Top-level members of a file read by its content, arrays cut to their first item.
    sample: Map<String, Value>,
    /// The account the ARNs name, with the path of the first.
    owner: Option<(String, String)>,
    /// The error of a conversion, handed to serde as a message.
    failure: Option<IngestError>,
}

impl<'a> Page<'a> {
    fn new(
        file: &'a str,
        gauge: &'a Gauge,
        layout_account: Option<&'a str>,
        documents: &'a mut Documents,
    ) -> Page<'a> {
        Page {
            file,
            gauge,
            documents,
            layout_account,
            authorization: layout_account.is_some(),
            opened: false,
            users: Vec::new(),
            groups: Vec::new(),
            roles: Vec::new(),
            policies: Vec::new(),
            pending: Vec::new(),
            sample: Map::new(),
            owner: None,
            failure: None,
        }
    }

    /// Turns one item of `list` into the model.
    fn add(&mut self, list: List, value: &Value, path: &str) -> Result<(), IngestError> {
        let item = Node::at(self.file, value, path);
        let arn = match list {
            List::Users => {
                let user = iam::user(&item, self.documents)?;
                let arn = user.arn.clone();
                self.users.push(user);
                arn
            }
            List::Groups => {
                let group = iam::group(&item, self.documents)?;
                let arn = group.arn.clone();
                self.groups.push(group);
                arn
            }
            List::Roles => {
                let role = iam::role(&item, self.documents)?;
                let arn = role.arn.clone();
                self.roles.push(role);
                arn
            }
            List::Policies => {
                let policy = iam::managed_policy(&item, self.documents)?;
                let arn = policy.arn.clone();
                self.policies.push(policy);
                arn
            }
        };
        if self.layout_account.is_none() {
            self.own(&arn, &format!("{path}.Arn"))?;
        }
        Ok(())
    }

    /// Checks that `arn` names the account every other ARN of a file outside the layout names
    /// (AWS managed policies belong to no account).
    fn own(&mut self, arn: &str, path: &str) -> Result<(), IngestError> {
        let Some(owner) = accessgraph_policy::arn_components(arn).map(|parts| parts[4]) else {
            return Ok(());
        };
        if !accessgraph_policy::is_account_id(owner) {
            return Ok(());
        }
        match &self.owner {
            None => self.owner = Some((owner.to_owned(), path.to_owned())),
            Some((account, first)) if account != owner => {
                return Err(IngestError::at(
                    self.file,
                    path,
                    format!(
                        "`{arn}` is in account {owner}, but {first} is in account {account}: \
                         one authorization dump holds one account"
                    ),
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The file is an authorization dump: the `Policies` items held so far are its policies.
    fn adopt(&mut self) -> Result<(), IngestError> {
        self.authorization = true;
        for (path, value) in std::mem::take(&mut self.pending) {
            self.add(List::Policies, &value, &path)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Streamed, IngestError> {
        if !self.authorization {
            if let Some((_, first)) = self.pending.first_mut() {
                let first = std::mem::take(first);
                self.sample
                    .insert("Policies".to_owned(), Value::Array(vec![first]));
            }
            return Ok(Streamed::Sample(Value::Object(self.sample)));
        }
        let account = match (self.layout_account, self.owner) {
            (Some(account), _) => account.to_owned(),
            (None, Some((account, _))) => account,
            (None, None) => {
                return Err(IngestError::at(
                    self.file,
                    "$",
                    "cannot tell the account: no user, group, role or customer managed policy \
                     ARN names a 12-digit account id",
                ));
            }
        };
        Ok(Streamed::Authorization(Fragment::Authorization {
            file: self.file.to_owned(),
            account,
            users: self.users,
            groups: self.groups,
            roles: self.roles,
            policies: self.policies,
        }))
    }
}

/// Hands a conversion error to serde (the page keeps the error itself).
fn fail<E: de::Error>(page: &mut Page<'_>, error: IngestError) -> E {
    page.failure = Some(error);
    E::custom("conversion failed")
}

/// The top level: an object whose lists are streamed.
struct TopVisitor<'p, 'a>(&'p mut Page<'a>);

impl<'de> Visitor<'de> for TopVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let page = self.0;
        page.opened = true;
        loop {
            page.gauge.start_element("$".to_owned());
            let Some(key) = map.next_key::<String>()? else {
                break;
            };
            page.gauge.start_element(format!("$.{key}"));
            match List::of(&key) {
                Some(list) => {
                    if list != List::Policies && !page.authorization {
                        page.adopt().map_err(|error| fail(page, error))?;
                    }
                    map.next_value_seed(ListSeed { page, list })?;
                }
                None if page.authorization => {
                    map.next_value::<IgnoredAny>()?;
                }
                None => {
                    let value = map.next_value_seed(Member {
                        gauge: page.gauge,
                        path: page.gauge.element_path(),
                        first_only: true,
                    })?;
                    page.sample.insert(key, value);
                }
            }
        }
        Ok(())
    }
}

/// A file, or a top-level member of one, read within the element bound: an array's items are
/// bounded one by one (and, to recognise a file by its content, only the first is kept, the
/// others read past without being kept); the members of the file's top-level object are bounded
/// one by one; anything else is bounded whole.
struct Member<'g> {
    gauge: &'g Gauge,
    path: String,
    first_only: bool,
}

impl<'g> Member<'g> {
    /// The whole file.
    fn file(gauge: &'g Gauge) -> Member<'g> {
        Member {
            gauge,
            path: "$".to_owned(),
            first_only: false,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Member<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Member<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            self.gauge
                .start_element(format!("{}[{}]", self.path, items.len()));
            if self.first_only && !items.is_empty() {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
            } else {
                match seq.next_element::<Value>()? {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.path != "$" {
            return Value::deserialize(de::value::MapAccessDeserializer::new(map));
        }
        let mut members = Map::new();
        loop {
            self.gauge.start_element("$".to_owned());
            let Some(key) = map.next_key::<String>()? else {
                break;
            };
            let path = format!("$.{key}");
            self.gauge.start_element(path.clone());
            let value = map.next_value_seed(Member {
                gauge: self.gauge,
                path,
                first_only: false,
            })?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// One list of an authorization dump, read item by item.
struct ListSeed<'p, 'a> {
    page: &'p mut Page<'a>,
    list: List,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an array")
    }

    /// `null` is an empty list, as when the member is absent.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ListSeed { page, list } = self;
        let prefix = page.gauge.element_path();
        let mut index = 0;
        loop {
            let path = format!("{prefix}[{index}]");
            page.gauge.start_element(path.clone());
            let Some(value) = seq.next_element::<Value>()? else {
                break;
            };
            if list == List::Policies && !page.authorization {
                // Only an authorization dump's policies carry their versions.
                if index == 0 && value.get("PolicyVersionList").is_some() {
                    page.adopt().map_err(|error| fail(page, error))?;
                } else {
                    page.pending.push((path, value));
                    index += 1;
                    continue;
                }
            }
            page.add(list, &value, &path)
                .map_err(|error| fail(page, error))?;
            index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
