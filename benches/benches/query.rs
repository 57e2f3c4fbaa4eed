//! Query language costs on the example organization: parsing alone, parse + plan (the issue's
//! target: under 20 microseconds per query), and whole answers.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_query::{MemoryCatalog, View, parse, plan, run};
use criterion::{Criterion, criterion_group, criterion_main};

const QUERIES: [&str; 4] = [
    "who can reach admin in account 555555555555",
    "can user/alice in account 111111111111 reach admin in account 555555555555 via assume, privesc max hops 4",
    "path from user/bob to role/sandbox-admin in account 666666666666 k 3 definite only",
    "who can reach arn:aws:iam::333333333333:role/partner-reports from external limit 10",
];

fn query(c: &mut Criterion) {
    let org = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/org");
    let Ok(ingested) = ingest(&org, &IngestOptions::default()) else {
        return;
    };
    let view = Arc::new(View::from_snapshot(1, None, Arc::new(ingested.snapshot)));
    let catalog = MemoryCatalog::new(vec![view.clone()]);
    let mut group = c.benchmark_group("query");
    group.bench_function("parse_4_queries", |b| {
        b.iter(|| {
            for text in QUERIES {
                black_box(parse(black_box(text)).ok());
            }
        });
    });
    group.bench_function("parse_and_plan_4_queries", |b| {
        b.iter(|| {
            for text in QUERIES {
                if let Ok(query) = parse(black_box(text)) {
                    black_box(plan(&query, &view).ok());
                }
            }
        });
    });
    group.bench_function("answer_who_can_reach_admin", |b| {
        b.iter(|| black_box(run(QUERIES[0], &catalog).ok()));
    });
    group.finish();
}

criterion_group!(benches, query);
criterion_main!(benches);
