//! `forger`: see the crate doc.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use kernel_iface::cap::kind::{CNode, Endpoint};
use kernel_iface::cap::{CapRights, SlotRef};
use kernel_iface::Cap;
use pride_rt::component::{CNODE_BITS, SLOT_FIRST_FREE, SLOT_OWN_CNODE, SLOT_WANTED_BASE};
use pride_rt::{println, supervisor};
use pride_supervisor_api::{is_kernel_error, ClientBadge, DENIED};

pride_rt::component_entry!(main);

/// The shell's subject id (its badge is what the forger would like to have).
const SHELL_SUBJECT: u16 = 0xffe;

fn main(boot: pride_rt::component::Boot) -> ! {
    supervisor::ready();
    let me: Cap<CNode> = Cap::from_cptr(SLOT_OWN_CNODE);
    let mut code = 0;
    // 1. A slot it was given nothing in.
    let nothing: Cap<Endpoint> = Cap::from_cptr(SLOT_FIRST_FREE);
    if is_kernel_error(store_clients::get(nothing, "public/readme")) {
        code |= 1;
    }
    // 2. Re-badge its connection as the shell's.
    let src = SlotRef {
        root: me,
        index: SLOT_WANTED_BASE,
        depth: CNODE_BITS,
    };
    let forged = ClientBadge {
        client: SHELL_SUBJECT,
        generation: boot.generation as u16,
    }
    .to_badge();
    let minted = me.cnode_mint(SLOT_FIRST_FREE + 1, CNODE_BITS, src, CapRights::ALL, forged);
    if minted.is_err() {
        code |= 2;
    }
    // 3. A plain copy still speaks for the forger alone.
    let _ = me.cnode_copy(SLOT_FIRST_FREE + 2, CNODE_BITS, src, CapRights::ALL);
    if store_clients::get(Cap::from_cptr(SLOT_FIRST_FREE + 2), "secret/plan") == DENIED {
        code |= 4;
    }
    println!(
        "empty slot refused: {}, re-badge refused: {} ({minted:?}), copy denied: {}",
        code & 1 != 0,
        code & 2 != 0,
        code & 4 != 0
    );
    supervisor::exit(code)
}
