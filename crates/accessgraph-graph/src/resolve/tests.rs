//! Tests of the resource resolver.
