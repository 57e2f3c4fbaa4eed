//! Arbitrary text into the query parser: it must never panic, every error must render, and every
//! query it accepts must print to text that parses back to the same AST.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match accessgraph_query::parse(text) {
        Ok(query) => {
            let printed = query.to_string();
            let again = accessgraph_query::parse(&printed).expect("printed query parses");
            assert_eq!(again, query, "{printed}");
        }
        Err(error) => {
            let _ = error.render(text);
            let _ = error.line_column(text);
        }
    }
});
