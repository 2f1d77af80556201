//! `net-copy`: the copier, written in C (`c/copy.c`); this is its entry.
#![no_std]
#![no_main]

// The package's library carries the C objects: link it.
extern crate net;

microkit::c_protection_domain!();
