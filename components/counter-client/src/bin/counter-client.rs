//! # counter-client: keeps calling `counter` and checks nothing is lost
//!
//! Calls `INCREMENT` [`CALLS`] times on its connection to the `counter`
//! service (wanted service 0) and checks that every reply is the previous
//! count plus one: a lost call would show as a gap, a repeated one as a
//! repeat. Every [`REPORT_EVERY`] calls it prints its progress (which also
//! gives the supervisor a moment to act, e.g. to update `counter`). If the
//! server restarted (`SERVER_RESTARTED`), it reconnects and carries on from
//! the new server's count; if the service is down (the kernel refuses the
//! revoked connection, or the supervisor says `SERVICE_DOWN`) it tries to
//! reconnect and gives up after ten failures with exit code 3. At the end
//! it prints one summary line and exits with 0 (or 1 if a call was lost or
//! repeated).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use kernel_iface::MessageInfo;
use pride_rt::component::Boot;
use pride_rt::{println, supervisor};
use pride_supervisor_api::{is_kernel_error, OK, SERVER_RESTARTED, SERVICE_DOWN};

pride_rt::component_entry!(main);

/// Calls made in all.
pub const CALLS: u64 = 2000;
/// Progress line every this many calls.
pub const REPORT_EVERY: u64 = 250;
const INCREMENT: u64 = 0;

fn main(_boot: Boot) -> ! {
    supervisor::ready();
    let mut conn = supervisor::connection(0);
    let (mut answered, mut lost, mut repeated, mut reconnects, mut errors) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut last: Option<u64> = None;
    let mut first: Option<u64> = None;
    while answered < CALLS {
        let r = conn.call(MessageInfo::new(INCREMENT, 0, 0, 0), [0; 4]);
        match r.info.label() {
            OK => {
                let count = r.mrs[0];
                match last {
                    Some(prev) if count == prev + 1 => {}
                    Some(prev) if count > prev + 1 => lost += count - prev - 1,
                    Some(_) => repeated += 1,
                    None => {}
                }
                first.get_or_insert(count);
                last = Some(count);
                answered += 1;
                if answered % REPORT_EVERY == 0 {
                    println!("{answered} calls answered, count {count}");
                }
            }
            SERVER_RESTARTED => {
                println!("server restarted after count {}; reconnecting", last.unwrap_or(0));
                match supervisor::connect(0) {
                    Ok(c) => {
                        conn = c;
                        reconnects += 1;
                        // A restarted server starts again from 0.
                        last = None;
                    }
                    Err(e) => {
                        println!("reconnect failed: {e:?}");
                        supervisor::exit(2)
                    }
                }
            }
            label if label == SERVICE_DOWN || is_kernel_error(label) => {
                // The connection is gone (the server stopped): try to
                // reconnect; give up after a few tries.
                errors += 1;
                if errors > 10 {
                    println!("giving up: service down after count {}", last.unwrap_or(0));
                    supervisor::exit(3)
                }
                if let Ok(c) = supervisor::connect(0) {
                    conn = c;
                    reconnects += 1;
                    last = None;
                }
            }
            other => {
                errors += 1;
                if errors > 10 {
                    println!("giving up after 10 errors (last label {other})");
                    supervisor::exit(3)
                }
            }
        }
    }
    println!(
        "done: {answered} calls answered, {lost} lost, {repeated} repeated, {reconnects} reconnects, counts {}..{}",
        first.unwrap_or(0),
        last.unwrap_or(0)
    );
    supervisor::exit(if lost == 0 && repeated == 0 { 0 } else { 1 })
}
