//! `pp-server`: the Rust protection domain of the pingpong system.
//!
//! - notified by the client: reads the word the client put in the shared
//!   region, writes it plus one after it, and notifies back;
//! - PPC from the client (label 7, one word): answers the word plus one.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use kernel_iface::MessageInfo;
use microkit::{Channel, Handler};
use pride_rt::println;

pride_rt::component_entry!(main);

const CLIENT_CH: Channel = 0;

microkit::setvar!(
    /// Where the shared region is mapped.
    shared_vaddr
);

struct Server {
    region: microkit::SharedRegion,
}

impl Handler for Server {
    fn init(&mut self) {
        println!("{}: init, region of {} bytes", microkit::name(), self.region.len());
    }

    fn notified(&mut self, ch: Channel) {
        if ch != CLIENT_CH {
            return;
        }
        let Some(got) = self.region.read_u64(0) else {
            println!("pp_server: no shared region");
            return;
        };
        self.region.write_u64(8, got + 1);
        println!("pp_server: client wrote {got}");
        microkit::notify(CLIENT_CH);
    }

    fn protected(&mut self, ch: Channel, info: MessageInfo) -> MessageInfo {
        if ch != CLIENT_CH || info.label() != 7 || info.length() != 1 {
            return MessageInfo::new(1, 0, 0, 0);
        }
        let x = microkit::mr_get(0);
        microkit::mr_set(0, x + 1);
        MessageInfo::new(0, 0, 0, 1)
    }
}

fn main(_boot: pride_rt::component::Boot) -> ! {
    let region = microkit::SharedRegion::from_setvar(&shared_vaddr, 4096);
    microkit::run(Server { region })
}
