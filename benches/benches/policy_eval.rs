//! Evaluations per second: one principal with 10 policies of 10 statements against random
//! requests (issue: at least one million per second on one core).

use std::hint::black_box;

use accessgraph_benches::{identity_policies, requests};
use accessgraph_policy::{PolicySet, Principal, Request, RequestContext, evaluate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn policy_eval(c: &mut Criterion) {
    let policies = identity_policies(7, 10, 10);
    assert_eq!(policies.len(), 10, "fixtures parse");
    let requests = requests(11, 1024);
    let principal =
        Principal::parse("arn:aws:iam::111122223333:role/app").unwrap_or_else(|_| unreachable!());
    let context = RequestContext::new();
    let set = PolicySet {
        identity: &policies,
        ..PolicySet::default()
    };
    let mut group = c.benchmark_group("policy_eval");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("10x10_statements_1024_requests", |b| {
        b.iter(|| {
            for (action, resource) in &requests {
                let request = Request {
                    principal: &principal,
                    action,
                    resource,
                    context: &context,
                };
                black_box(evaluate(black_box(&request), &set));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, policy_eval);
criterion_main!(benches);
