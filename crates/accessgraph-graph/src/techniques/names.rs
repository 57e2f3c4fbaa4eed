//! The resources a technique's steps are authorized on (issue 22, items 4 and 5). AWS authorizes
//! an action against a resource of every type the action requires (`ec2:RunInstances`: the new
//! instance, and the image, subnet, network interface and security group it uses), so a deny on
//! any of them refuses the call; and the actor chooses the name of what it creates, so a grant
//! scoped to a name pattern (`function:sagemaker*`, `role/service-role/*`) still lets it act.
//!
//! Each required resource type of a technique's actions is checked on one ARN, the same for
//! every action on that type: the first, in order, of the type's ARN format filled with neutral
//! names and of the actor's own allowed patterns made concrete, that every such action may use.
//! An action without a required type is checked on `*`. The outcome of each step is remembered
//! for the actor, since techniques share actions.

use std::cell::RefCell;
use std::collections::HashMap;

use accessgraph_catalog::Catalog;
use accessgraph_policy::{
    Action, Effect, NEUTRAL_NAME, NEUTRAL_REGION, RequestContext, Resource, chosen_arn,
};

use super::{Checked, check_all};
use crate::context::{Actor, Context};

/// Checks that `actor` may do every action of a technique on resources it chooses, and on
/// `fixed` (an existing resource the technique acts on) for the type that ARN is of; `None` if
/// no choice is allowed. The checked evidence, and the resources named to fit a pattern of the
/// actor's (in words), when the neutral names are not allowed.
///
/// An action is checked on `fixed` when it applies to its type (or the catalog places `fixed`
/// in none of its types), on `*` when it applies to no type, on a chosen resource of each type
/// it requires, and, when it only may apply to some types (`ssm:StartSession` on an instance),
/// on `*` or a chosen resource of one of them.
pub(crate) fn check_chosen(
    context: &Context<'_>,
    actor: &Actor,
    actions: &[Action],
    fixed: Option<&Resource>,
) -> Option<(Checked, Vec<String>)> {
    let catalog = Catalog::embedded();
    let none = RequestContext::new();
    let anything = Resource::new("*");
    // (service, resource type, ARN format, the actions that need it)
    let mut groups: Vec<(&str, &str, &str, Vec<&Action>)> = Vec::new();
    // Actions checked on one resource: `*` or `fixed`.
    let mut steps: Vec<(&Action, &Resource, &RequestContext)> = Vec::new();
    // Actions that may apply to some types, with their (type, format).
    let mut open: Vec<(&Action, Vec<(&str, &str)>)> = Vec::new();
    for action in actions {
        let types = catalog.resources_of(action.as_str());
        let fits_fixed = |format: &str| {
            fixed.is_some_and(|resource| Catalog::fits_format(resource.arn(), format))
        };
        let required: Vec<(&str, &str)> = types
            .iter()
            .filter(|(_, format, required)| *required && !fits_fixed(format))
            .map(|(name, format, _)| (*name, *format))
            .collect();
        match fixed {
            _ if types.is_empty() => steps.push((action, &anything, &none)),
            Some(resource) => {
                steps.push((action, resource, &none));
                if !types.iter().any(|(_, format, _)| fits_fixed(format)) {
                    // The catalog does not place the resource: checked on it alone.
                    continue;
                }
            }
            None if required.is_empty() => {
                open.push((
                    action,
                    types
                        .iter()
                        .map(|(name, format, _)| (*name, *format))
                        .collect(),
                ));
                continue;
            }
            None => {}
        }
        let service = action.as_str().split(':').next().unwrap_or_default();
        for (resource_type, format) in required {
            match groups
                .iter_mut()
                .find(|(known, kind, _, _)| *known == service && *kind == resource_type)
            {
                Some((_, _, _, needing)) => needing.push(action),
                None => groups.push((service, resource_type, format, vec![action])),
            }
        }
    }
    let mut checked = check_remembered(context, actor, &steps)?;
    let mut named = Vec::new();
    let mut add = |found: Checked, resource_type: &str, arn: String, pattern: Option<String>| {
        checked = std::mem::take(&mut checked).and(found);
        if let Some(pattern) = pattern {
            named.push(format!(
                "the {resource_type} is named to fit `{pattern}` (as `{arn}`)"
            ));
        }
    };
    for (_, resource_type, format, needing) in groups {
        let (found, arn, pattern) = choose(context, actor, &needing, format)?;
        add(found, resource_type, arn, pattern);
    }
    for (action, types) in open {
        if let Some(found) = check_remembered(context, actor, &[(action, &anything, &none)]) {
            add(found, "", String::new(), None);
            continue;
        }
        let (found, resource_type, arn, pattern) =
            types.into_iter().find_map(|(resource_type, format)| {
                choose(context, actor, &[action], format)
                    .map(|(found, arn, pattern)| (found, resource_type, arn, pattern))
            })?;
        add(found, resource_type, arn, pattern);
    }
    Some((checked, named))
}

/// The first ARN of `format`, the neutral one or one of the actor's allowed patterns made
/// concrete, on which every action of `needing` is allowed, with the pattern it came from.
fn choose(
    context: &Context<'_>,
    actor: &Actor,
    needing: &[&Action],
    format: &str,
) -> Option<(Checked, String, Option<String>)> {
    let none = RequestContext::new();
    let neutral = fill(format, actor, NEUTRAL_REGION);
    std::iter::once((neutral, None))
        .chain(
            allowed_patterns(actor, needing)
                .into_iter()
                .filter_map(|pattern| {
                    concrete(&pattern, format, actor).map(|arn| (arn, Some(pattern)))
                }),
        )
        .find_map(|(arn, pattern)| {
            let resource = Resource::new(arn.clone()).with_account(actor.account.clone());
            let steps: Vec<(&Action, &Resource, &RequestContext)> = needing
                .iter()
                .map(|action| (*action, &resource, &none))
                .collect();
            check_remembered(context, actor, &steps).map(|found| (found, arn, pattern))
        })
}

/// The resource patterns of the actor's own statements that allow any of `actions`, without
/// policy variables, in order and once each.
fn allowed_patterns(actor: &Actor, actions: &[&Action]) -> Vec<String> {
    let mut patterns: Vec<String> = Vec::new();
    for policy in &actor.identity {
        for action in actions {
            for statement in policy.document().statements_for(action) {
                if statement.effect() != Effect::Allow || !statement.matches_action(action.lower())
                {
                    continue;
                }
                let Some(resources) = statement.resources() else {
                    continue;
                };
                if resources.is_negated() {
                    continue;
                }
                for pattern in resources.patterns() {
                    let text = pattern.as_str();
                    if !text.contains("${") && !patterns.iter().any(|known| known == text) {
                        patterns.push(text.to_owned());
                    }
                }
            }
        }
    }
    patterns
}

/// An ARN format (`arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}`) with
/// the actor's partition and account, `region`, and neutral names.
fn fill(format: &str, actor: &Actor, region: &str) -> String {
    let mut filled = String::with_capacity(format.len() + 32);
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        filled.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            rest = "";
            break;
        };
        filled.push_str(match &rest[start + 2..start + end] {
            "Partition" => actor.principal.partition(),
            "Region" => region,
            "Account" => &actor.account,
            _ => NEUTRAL_NAME,
        });
        rest = &rest[start + end + 1..];
    }
    filled.push_str(rest);
    filled
}

/// A pattern of the actor's (`arn:aws:lambda:*:*:function:sagemaker*`) made a concrete ARN
/// (`accessgraph_policy::chosen_arn`), when it fits `format`.
fn concrete(pattern: &str, format: &str, actor: &Actor) -> Option<String> {
    chosen_arn(pattern, actor.principal.partition(), &actor.account)
        .filter(|arn| Catalog::fits_format(arn, format))
}

/// The outcome of each (action, resource) step one actor's techniques asked for, so that
/// techniques sharing an action (every Lambda technique invokes a function) evaluate it once.
/// Kept per thread: an actor's techniques are all checked on one thread, one actor at a time.
#[derive(Default)]
struct Remembered {
    /// The build (`Context::id`) and the actor the steps are of.
    actor: Option<(u64, u32)>,
    steps: HashMap<(String, String), Option<Checked>>,
}

thread_local! {
    static REMEMBERED: RefCell<Remembered> = RefCell::new(Remembered::default());
}

/// [`check_all`] of steps without request context keys, each step's outcome remembered for
/// the actor.
fn check_remembered(
    context: &Context<'_>,
    actor: &Actor,
    steps: &[(&Action, &Resource, &RequestContext)],
) -> Option<Checked> {
    REMEMBERED.with(|remembered| {
        let mut remembered = remembered.borrow_mut();
        if remembered.actor != Some((context.id, actor.index)) {
            remembered.actor = Some((context.id, actor.index));
            remembered.steps.clear();
        }
        let mut checked = Checked::default();
        for step in steps {
            let key = (step.0.lower().to_owned(), step.1.arn().to_owned());
            let found = match remembered.steps.get(&key) {
                Some(found) => found.clone(),
                None => {
                    let found = check_all(context, actor, std::slice::from_ref(step));
                    remembered.steps.insert(key, found.clone());
                    found
                }
            }?;
            checked = checked.and(found);
        }
        Some(checked)
    })
}
