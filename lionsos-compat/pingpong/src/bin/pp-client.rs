//! `pp-client`: the C protection domain of the pingpong system (its code
//! is `c/client.c`; this is only its entry).

#![no_std]
#![no_main]

microkit::c_protection_domain!();
