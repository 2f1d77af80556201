//! `blk-virt`: the block virtualiser.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

microkit::config_section!(CONFIG, ".blk_virt_config", 5728);

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    microkit::run(blk::virt::Virt::new(&CONFIG.bytes(), microkit::is_replacement(&boot)))
}
