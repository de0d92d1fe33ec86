//! Black-box tests through the HTTP endpoint; every test runs on SQLite and PostgreSQL.

mod access;
mod approvals;
mod changes;
mod clients;
mod concurrency;
mod costs;
mod dataloader;
mod direct_reads;
mod direct_writes;
mod errors;
mod faults;
mod fixtures;
mod four_eyes;
mod hardening;
mod identity;
mod jobs;
mod lifecycle;
mod master_phase;
mod packages;
mod pagination;
mod people;
mod races;
mod replicas;
mod responses;
mod schema;
mod service;
