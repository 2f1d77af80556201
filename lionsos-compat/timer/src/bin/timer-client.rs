//! `timer-client`: the C timer client (`c/client.c`); this is its entry.
#![no_std]
#![no_main]

// The package's library carries the C objects: link it.
extern crate timer;

microkit::c_protection_domain!();
