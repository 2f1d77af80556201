//! # crash-ill: executes an illegal instruction
//!
//! The supervisor sees a user exception (invalid opcode, vector 6) and
//! reports it as an illegal instruction.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    pride_rt::component::illegal_instruction()
}
