//! # sddf: sDDF queues and configuration, without the kernel
#![no_std]
#![forbid(unsafe_code)]
