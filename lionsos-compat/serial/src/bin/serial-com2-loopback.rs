//! `serial-com2-loopback`: the 16550 driver for COM2 with the UART in
//! loopback, so that what is sent comes back (for the scenario).
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

microkit::config_section!(CONFIG, ".serial_driver_config", 104);
// The device's resources (sdfgen writes none for a device declared by
// hand, as COM2 is): declared as every sDDF driver does.
microkit::config_section!(DEVICE, ".device_resources", 1608);

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    microkit::run(serial::Driver::new(&CONFIG.bytes(), true, boot.generation))
}
