//! `blk-client`: the block client, written in C (`c/client.c`); this is
//! its entry.
#![no_std]
#![no_main]

// The package's library carries the C objects: link it.
extern crate blk;

microkit::c_protection_domain!();
