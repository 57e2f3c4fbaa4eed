//! Privilege-escalation techniques as data: the TOML files of `data/techniques/` (one per
//! service), compiled into the binary and read once. Each `[[technique]]` names its id, what it
//! does, its category (which interpreter checks it), the service the role must trust, the actions
//! with the resource each is checked on (the category says which), what must already exist, and
//! references. docs/edges.md lists the fields and is generated from these files.

use std::fmt;
use std::io::Read as _;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use accessgraph_catalog::Catalog;
use accessgraph_model::ComputeService;
use serde::Deserialize;

/// The built-in definition files, by name.
const BUILTIN: &[(&str, &str)] = &[
    (
        "amplify.toml",
        include_str!("../../data/techniques/amplify.toml"),
    ),
    (
        "apprunner.toml",
        include_str!("../../data/techniques/apprunner.toml"),
    ),
    (
        "autoscaling.toml",
        include_str!("../../data/techniques/autoscaling.toml"),
    ),
    (
        "batch.toml",
        include_str!("../../data/techniques/batch.toml"),
    ),
    (
        "bedrock.toml",
        include_str!("../../data/techniques/bedrock.toml"),
    ),
    (
        "braket.toml",
        include_str!("../../data/techniques/braket.toml"),
    ),
    (
        "cloudformation.toml",
        include_str!("../../data/techniques/cloudformation.toml"),
    ),
    (
        "codebuild.toml",
        include_str!("../../data/techniques/codebuild.toml"),
    ),
    (
        "codedeploy.toml",
        include_str!("../../data/techniques/codedeploy.toml"),
    ),
    (
        "cognitoidentity.toml",
        include_str!("../../data/techniques/cognitoidentity.toml"),
    ),
    (
        "datapipeline.toml",
        include_str!("../../data/techniques/datapipeline.toml"),
    ),
    ("ec2.toml", include_str!("../../data/techniques/ec2.toml")),
    ("ecs.toml", include_str!("../../data/techniques/ecs.toml")),
    ("emr.toml", include_str!("../../data/techniques/emr.toml")),
    (
        "gamelift.toml",
        include_str!("../../data/techniques/gamelift.toml"),
    ),
    ("glue.toml", include_str!("../../data/techniques/glue.toml")),
    (
        "imagebuilder.toml",
        include_str!("../../data/techniques/imagebuilder.toml"),
    ),
    (
        "kinesisanalytics.toml",
        include_str!("../../data/techniques/kinesisanalytics.toml"),
    ),
    (
        "lambda.toml",
        include_str!("../../data/techniques/lambda.toml"),
    ),
    (
        "omics.toml",
        include_str!("../../data/techniques/omics.toml"),
    ),
    (
        "sagemaker.toml",
        include_str!("../../data/techniques/sagemaker.toml"),
    ),
    (
        "scheduler.toml",
        include_str!("../../data/techniques/scheduler.toml"),
    ),
    ("ssm.toml", include_str!("../../data/techniques/ssm.toml")),
    (
        "stepfunctions.toml",
        include_str!("../../data/techniques/stepfunctions.toml"),
    ),
];

/// A digest of the built-in definition files: a saved graph records it, so that a graph built
/// from other definitions is rebuilt rather than trusted.
pub(crate) const BUILTIN_DIGEST: u64 = digest(BUILTIN);

/// FNV-1a over the files' names and texts (change detection, not security).
const fn digest(files: &[(&str, &str)]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut rest = files;
    while let Some(((name, text), tail)) = rest.split_first() {
        hash = fnv(fnv(hash, name.as_bytes()), text.as_bytes());
        rest = tail;
    }
    hash
}

/// FNV-1a of `bytes` continued from `hash`, then a separator.
const fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut rest = bytes;
    while let Some((byte, tail)) = rest.split_first() {
        hash = (hash ^ *byte as u64).wrapping_mul(PRIME);
        rest = tail;
    }
    (hash ^ 0xff).wrapping_mul(PRIME)
}

/// Which interpreter checks a technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Category {
    /// Pass a role to a service while creating (or reconfiguring) compute that runs as it:
    /// `iam:PassRole` on the role with `iam:PassedToService`, every action on `*`; the edge goes
    /// to the passed role.
    NewPassrole,
    /// Take over compute that already runs as a role: every action on the resource (each resource
    /// of the inventory, or any when the service has none); the edge goes to the resource's role.
    ExistingPassrole,
}

impl Category {
    /// The category's name in files and in the catalog.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Category::NewPassrole => "new-passrole",
            Category::ExistingPassrole => "existing-passrole",
        }
    }
}

/// One technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Technique {
    /// The pathfinding.cloud id, or another tool's name for it.
    pub(crate) id: String,
    /// What the actor does, in a line.
    pub(crate) name: String,
    pub(crate) category: Category,
    /// The service principals the role may trust (one is enough); the role is passed to the one
    /// it trusts (`iam:PassedToService`).
    pub(crate) trusted_services: Vec<String>,
    /// For an existing resource: what it is, in words (`Lambda function`).
    pub(crate) resource: Option<String>,
    /// For an existing resource: the inventory that lists such resources, if the snapshot has one.
    pub(crate) inventory: Option<ComputeService>,
    /// The actions besides `iam:PassRole`.
    pub(crate) actions: Vec<String>,
    /// EC2: the role must be in an instance profile, or the actor must be able to make one.
    pub(crate) instance_profile: bool,
    /// A prerequisite the snapshot cannot confirm.
    pub(crate) requires: Option<String>,
    /// Where the technique is described.
    pub(crate) references: Vec<String>,
}

/// A definition file that does not define techniques, with where (`FILE:LINE: what`); or a
/// directory of them that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    file: String,
    line: usize,
    message: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for DefinitionError {}

/// The most a definition file may hold.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The techniques a graph is built with: the built-in ones, and a team's own definitions.
#[derive(Debug, Clone, Copy)]
pub struct Techniques {
    all: &'static [Technique],
    builtin_only: bool,
}

impl Techniques {
    /// The built-in techniques.
    #[must_use]
    pub fn builtin() -> Techniques {
        Techniques {
            all: builtin(),
            builtin_only: true,
        }
    }

    /// The built-in techniques and those of every `*.toml` file of `dir` (in name order); the
    /// definitions are kept for the life of the process, as the built-in ones are.
    ///
    /// # Errors
    /// When the directory or a file cannot be read (a file that is not a regular file, or is
    /// larger than 1 MiB), or a definition is invalid or repeats an id, with the file and line.
    pub fn with_dir(dir: &Path) -> Result<Techniques, DefinitionError> {
        let failed = |file: &Path, message: String| DefinitionError {
            file: file.display().to_string(),
            line: 0,
            message,
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|error| failed(dir, format!("cannot read the directory: {error}")))?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|error| failed(dir, format!("cannot read the directory: {error}")))?
                .path();
            if path
                .extension()
                .is_some_and(|extension| extension == "toml")
            {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            return Err(failed(dir, "holds no technique file (`*.toml`)".into()));
        }
        paths.sort();
        let mut texts = Vec::with_capacity(paths.len());
        for path in &paths {
            let metadata = std::fs::metadata(path)
                .map_err(|error| failed(path, format!("cannot read: {error}")))?;
            if !metadata.is_file() {
                return Err(failed(path, "is not a regular file".into()));
            }
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text))
                .map_err(|error| failed(path, format!("cannot read: {error}")))?;
            if text.len() as u64 > MAX_FILE_BYTES {
                return Err(failed(path, "is larger than 1 MiB".into()));
            }
            texts.push((path.display().to_string(), text));
        }
        let builtin_files = BUILTIN.iter().copied();
        let team_files = texts
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str()));
        let all = parse_files(builtin_files.chain(team_files))?;
        Ok(Techniques {
            all: Box::leak(all.into_boxed_slice()),
            builtin_only: false,
        })
    }

    /// Whether these are the built-in techniques alone (a graph built with them may be saved and
    /// shared).
    #[must_use]
    pub fn is_builtin(&self) -> bool {
        self.builtin_only
    }

    /// How many techniques there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// The id that names the existing-compute helper node of `technique`: the first technique
    /// acting on the same kind of resource run by roles of the same trust, so that techniques on
    /// one kind of resource share one helper node (and its edges to the roles) per account.
    pub(crate) fn helper_id(&self, technique: &'static Technique) -> &'static str {
        self.of(Category::ExistingPassrole)
            .find(|other| {
                other.resource == technique.resource
                    && other.inventory == technique.inventory
                    && other.trusted_services == technique.trusted_services
            })
            .map_or(technique.id.as_str(), |first| first.id.as_str())
    }

    /// The techniques of one category.
    pub(crate) fn of(&self, category: Category) -> impl Iterator<Item = &'static Technique> {
        self.all
            .iter()
            .filter(move |technique| technique.category == category)
    }
}

impl Default for Techniques {
    fn default() -> Techniques {
        Techniques::builtin()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    technique: Vec<toml::Spanned<Raw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: toml::Spanned<String>,
    name: String,
    category: Category,
    trusted_service: toml::Spanned<OneOrMany>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    inventory: Option<ComputeService>,
    actions: toml::Spanned<Vec<toml::Spanned<String>>>,
    #[serde(default)]
    instance_profile: bool,
    #[serde(default)]
    requires: Option<String>,
    #[serde(default)]
    references: Vec<String>,
}

/// A string, or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

impl Technique {
    /// The service of `trusted` (a role's trusted services) the technique passes the role to.
    pub(crate) fn service_trusted_in(&self, trusted: &[String]) -> Option<&str> {
        self.trusted_services
            .iter()
            .find(|service| trusted.contains(service))
            .map(String::as_str)
    }
}

/// The built-in techniques (their files are checked by this module's tests, so none is lost).
fn builtin() -> &'static [Technique] {
    static TECHNIQUES: OnceLock<Vec<Technique>> = OnceLock::new();
    TECHNIQUES.get_or_init(|| parse_files(BUILTIN.iter().copied()).unwrap_or_default())
}

/// Reads definition files (name, text), in order; an id defined twice is an error.
pub(crate) fn parse_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<Technique>, DefinitionError> {
    let mut techniques: Vec<Technique> = Vec::new();
    for (name, text) in files {
        for (technique, line) in parse(name, text)? {
            if techniques.iter().any(|known| known.id == technique.id) {
                return Err(DefinitionError {
                    file: name.to_owned(),
                    line,
                    message: format!("technique `{}` is defined twice", technique.id),
                });
            }
            techniques.push(technique);
        }
    }
    Ok(techniques)
}

/// One file's techniques, each with its line.
fn parse(file: &str, text: &str) -> Result<Vec<(Technique, usize)>, DefinitionError> {
    let at = |line: usize, message: String| DefinitionError {
        file: file.to_owned(),
        line,
        message,
    };
    let error = |span: Range<usize>, message: String| at(line_of(text, span.start), message);
    let parsed: File = toml::from_str(text).map_err(|cause| {
        let line = cause.span().map_or(1, |span| line_of(text, span.start));
        at(line, cause.message().to_owned())
    })?;
    let catalog = Catalog::embedded();
    let mut out = Vec::new();
    for spanned in parsed.technique {
        let line = line_of(text, spanned.span().start);
        let raw = spanned.into_inner();
        if raw.id.get_ref().trim().is_empty() {
            return Err(error(raw.id.span(), "the id is empty".into()));
        }
        let services_span = raw.trusted_service.span();
        let trusted_services = raw.trusted_service.into_inner().into_vec();
        if trusted_services.is_empty() {
            return Err(error(
                services_span,
                "`trusted_service` names no service".into(),
            ));
        }
        if let Some(service) = trusted_services
            .iter()
            .find(|service| !service.ends_with(".amazonaws.com"))
        {
            return Err(error(
                services_span,
                format!("`{service}` is not a service principal (`SERVICE.amazonaws.com`)"),
            ));
        }
        if raw.actions.get_ref().is_empty() {
            return Err(error(
                raw.actions.span(),
                "a technique needs at least one action".into(),
            ));
        }
        for action in raw.actions.get_ref() {
            if let Some((message, suggestion)) = catalog.diagnose(action.get_ref()) {
                let hint = suggestion
                    .map_or_else(String::new, |name| format!(" (did you mean `{name}`?)"));
                return Err(error(action.span(), format!("{message}{hint}")));
            }
        }
        match (raw.category, &raw.resource) {
            (Category::ExistingPassrole, None) => {
                return Err(at(
                    line,
                    format!(
                        "technique `{}` of category existing-passrole needs `resource` (what \
                         the existing resource is, in words)",
                        raw.id.get_ref()
                    ),
                ));
            }
            (Category::NewPassrole, _) if raw.resource.is_some() || raw.inventory.is_some() => {
                return Err(at(
                    line,
                    format!(
                        "technique `{}` of category new-passrole acts on no existing resource: \
                         `resource` and `inventory` are for existing-passrole",
                        raw.id.get_ref()
                    ),
                ));
            }
            _ => {}
        }
        out.push((
            Technique {
                id: raw.id.into_inner(),
                name: raw.name,
                category: raw.category,
                trusted_services,
                resource: raw.resource,
                inventory: raw.inventory,
                actions: raw
                    .actions
                    .into_inner()
                    .into_iter()
                    .map(toml::Spanned::into_inner)
                    .collect(),
                instance_profile: raw.instance_profile,
                requires: raw.requires,
                references: raw.references,
            },
            line,
        ));
    }
    Ok(out)
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests;
