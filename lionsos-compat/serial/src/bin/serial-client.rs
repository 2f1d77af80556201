//! `serial-client`: the C serial client (`c/client.c`); this is its entry.
#![no_std]
#![no_main]

// The package's library carries the C objects (gcc's static library is
// bundled into it by the build script): link it.
extern crate serial;

microkit::c_protection_domain!();
