//! `fs-lions-client`: a LionsOS file-system client PD written in C (its
//! code is `c/client.c`; this is only its entry).

#![no_std]
#![no_main]

microkit::c_protection_domain!();
