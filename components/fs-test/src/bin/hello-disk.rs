//! # hello-disk: a component whose image is on the disk
//!
//! The build writes it to `/bin/hello-disk` on the files disk and leaves
//! it out of the image archive, so when it greets, it was launched from
//! the file system (`launch /bin/hello-disk`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_rt::component::Boot;
use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

fn main(boot: Boot) -> ! {
    println!(
        "hello from an image on the disk (component {}, generation {})",
        boot.id, boot.generation
    );
    supervisor::ready();
    supervisor::wait_forever()
}
