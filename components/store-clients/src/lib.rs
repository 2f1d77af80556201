//! # store-clients: small clients of the `store` service, for tests
//!
//! | image | does | exit code |
//! | --- | --- | --- |
//! | `store-probe` | reads `public/readme` on its connection; if it has none, asks the supervisor to connect | `(read label << 8) \| connect label` (0 = allowed and read) |
//! | `forger` | calls a slot it was given nothing in; tries to re-badge its connection as the shell's; reads `secret/plan` through a plain copy of its connection | bit 0: the empty slot was refused, bit 1: re-badging was refused, bit 2: the read was denied (7 = nothing forged) |
//! | `store-hog` | writes 400-byte objects until its session is full | number of objects written |
//! | `store-waiter` | reads, waits for a signal, reads again | the second read's label |

#![no_std]
#![forbid(unsafe_code)]

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::Cap;
use pride_rt::store_client;

/// `GET key`: the reply label.
pub fn get(conn: Cap<Endpoint>, key: &str) -> u64 {
    store_client::get(conn, key, &mut []).0
}

/// `PUT key value`: the reply label.
pub fn put(conn: Cap<Endpoint>, key: &str, value: &[u8]) -> u64 {
    store_client::put(conn, key, value)
}
