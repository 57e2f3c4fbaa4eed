//! Ingest time of synthetic organizations of 10 and 100 accounts x 200 principals: parse the
//! snapshot directory and store it (the 1,000-account figure comes from the `scale` harness).

use std::hint::black_box;

use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_store::Store;
use accessgraph_synth::{SynthConfig, generate};
use criterion::{Criterion, criterion_group, criterion_main};

fn ingest_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    for accounts in [10usize, 100] {
        let Ok(dir) = tempfile::tempdir() else { return };
        if generate(
            &SynthConfig {
                accounts,
                principals: 200,
                seed: 1,
                resources: false,
            },
            dir.path(),
        )
        .is_err()
        {
            return;
        }
        group.bench_function(format!("{accounts}x200_parse_and_store"), |b| {
            b.iter(|| {
                let Ok(db) = tempfile::tempdir() else { return };
                let Ok(ingested) = ingest(dir.path(), &IngestOptions::default()) else {
                    return;
                };
                let Ok(store) = Store::open(db.path()) else {
                    return;
                };
                black_box(store.put(&ingested.snapshot).ok());
            });
        });
    }
    group.finish();
}

criterion_group!(benches, ingest_bench);
criterion_main!(benches);
