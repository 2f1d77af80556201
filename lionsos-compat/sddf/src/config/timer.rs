//! Timer configuration (class 6): a client's `timer_client_config_t`, the
//! magic and the channel id towards the timer driver (offset 5), 6 bytes.
//! The driver itself gets only [`DeviceResources`](super::device::DeviceResources).

use alloc::vec::Vec;

use super::{class, ConfigBlob, ConfigError, Reader, Writer};

/// A client's configuration, `timer_client_config_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimerClientConfig {
    /// The client's channel to the timer driver (for its PPCs; timeouts
    /// arrive as notifications on the same channel).
    pub driver_id: u8,
}

impl TimerClientConfig {
    pub const DRIVER_ID: usize = 5;
}

impl ConfigBlob for TimerClientConfig {
    const CLASS: u8 = class::TIMER;
    const SIZE: usize = 6;
    const SECTION: &'static str = ".timer_client_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        Ok(TimerClientConfig {
            driver_id: r.u8(Self::DRIVER_ID),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        w.u8(Self::DRIVER_ID, self.driver_id);
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_framing;
    use super::*;

    #[test]
    fn layout_and_framing() {
        assert_eq!((TimerClientConfig::DRIVER_ID, TimerClientConfig::SIZE), (5, 6));
        check_framing(&TimerClientConfig { driver_id: 9 });
        assert_eq!(TimerClientConfig { driver_id: 9 }.encode().unwrap(), b"sDDF\x06\x09");
    }
}
