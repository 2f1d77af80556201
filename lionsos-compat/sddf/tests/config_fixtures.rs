//! Decodes the configuration blobs sdfgen 0.35.1 wrote for the systems in
//! `fixtures/make_fixtures.py`, and checks them against what that script set
//! up and what the rendered `system.xml` next to each set says (vaddrs,
//! sizes, channel ids). Then builds this crate's queues over regions of the
//! configured sizes, which checks that sdfgen sizes regions the way the
//! queue layouts need.

use sddf::blk::{BlkQueueHandle, StorageInfoRegion};
use sddf::config::blk::{BlkClientConfig, BlkConnectionResource, BlkDriverConfig, BlkVirtConfig};
use sddf::config::device::DeviceResources;
use sddf::config::net::{
    MacAddr, NetClientConfig, NetConnectionResource, NetCopyConfig, NetDriverConfig, NetVirtRxConfig, NetVirtTxConfig,
};
use sddf::config::serial::{
    SerialClientConfig, SerialConnectionResource, SerialDriverConfig, SerialVirtRxConfig, SerialVirtTxConfig,
};
use sddf::config::timer::TimerClientConfig;
use sddf::config::{ConfigBlob, ConfigError, DeviceRegionResource, RegionResource};
use sddf::net::NetQueueHandle;
use sddf::serial::SerialQueue;

fn region(vaddr: u64, size: u64) -> RegionResource {
    RegionResource { vaddr, size }
}

fn decode<T: ConfigBlob>(blob: &[u8]) -> T {
    assert_eq!(blob.len(), T::SIZE, "{} blob size", T::SECTION);
    assert_eq!(&blob[..5], &[b's', b'D', b'D', b'F', T::CLASS]);
    T::decode(blob).unwrap_or_else(|e| panic!("{}: {e:?}", T::SECTION))
}

/// Decoding and re-encoding gives the same bytes, except where sdfgen left
/// padding undefined (0xaa), which encoding zeroes.
fn assert_reencodes<T: ConfigBlob>(blob: &[u8], value: &T) {
    let encoded = value.encode().unwrap();
    assert_eq!(encoded.len(), blob.len());
    for (i, (ours, theirs)) in encoded.iter().zip(blob).enumerate() {
        assert!(
            ours == theirs || (*ours == 0 && *theirs == 0xaa),
            "{} byte {i}: {ours:#x} vs {theirs:#x}",
            T::SECTION
        );
    }
}

fn net_conn(free: u64, active: u64, size: u64, num_buffers: u16, id: u8) -> NetConnectionResource {
    NetConnectionResource {
        free_queue: region(free, size),
        active_queue: region(active, size),
        num_buffers,
        id,
    }
}

fn net_queues(conn: &NetConnectionResource) -> NetQueueHandle<Vec<u8>> {
    NetQueueHandle::new(
        vec![0u8; conn.free_queue.size as usize],
        vec![0u8; conn.active_queue.size as usize],
        u32::from(conn.num_buffers),
    )
    .unwrap_or_else(|e| panic!("{conn:?}: {e:?}"))
}

#[test]
fn sizes_match_the_contract() {
    assert_eq!(NetVirtRxConfig::SIZE, 27_744);
    assert_eq!(NetVirtTxConfig::SIZE, 134_200);
    assert_eq!(NetCopyConfig::SIZE, 1_128);
    assert_eq!(SerialVirtRxConfig::SIZE, 2_616);
    assert_eq!(SerialVirtTxConfig::SIZE, 6_840);
    assert_eq!(BlkVirtConfig::SIZE, 5_728);
    assert_eq!(TimerClientConfig::SIZE, 6);
    assert_eq!(DeviceResources::SIZE, 1_608);
}

#[test]
fn device_resources_of_every_driver_are_empty_without_a_device_node() {
    for blob in [
        &include_bytes!("fixtures/serial/serial_driver_device_resources.data")[..],
        include_bytes!("fixtures/net/net_driver_device_resources.data"),
        include_bytes!("fixtures/blk/blk_driver_device_resources.data"),
        include_bytes!("fixtures/timer/timer_driver_device_resources.data"),
    ] {
        let resources: DeviceResources = decode(blob);
        assert_eq!(resources, DeviceResources::default());
        assert_reencodes(blob, &resources);
    }
}

#[test]
fn serial_system() {
    let blob = include_bytes!("fixtures/serial/serial_driver_config.data");
    let driver: SerialDriverConfig = decode(blob);
    assert_eq!(
        driver,
        SerialDriverConfig {
            rx: SerialConnectionResource {
                queue: region(0x2000_0000, 0x1000),
                data: region(0x2000_1000, 0x10000),
                id: 0
            },
            tx: SerialConnectionResource {
                queue: region(0x2001_1000, 0x1000),
                data: region(0x2001_2000, 0x20000),
                id: 1
            },
            default_baud: 115_200,
            rx_enabled: true,
        }
    );
    assert_reencodes(blob, &driver);

    let blob = include_bytes!("fixtures/serial/serial_virt_rx.data");
    let virt_rx: SerialVirtRxConfig = decode(blob);
    assert_eq!(virt_rx.driver.queue, region(0x2000_0000, 0x1000));
    assert_eq!(virt_rx.clients.len(), 2);
    assert_eq!(
        virt_rx.clients[1],
        SerialConnectionResource {
            queue: region(0x2002_2000, 0x1000),
            data: region(0x2002_3000, 0x10000),
            id: 2
        }
    );
    // sdfgen's defaults: Ctrl-\ switches input, carriage return ends the number.
    assert_eq!((virt_rx.switch_char, virt_rx.terminate_num_char), (0x1c, b'\r'));
    assert_reencodes(blob, &virt_rx);

    let blob = include_bytes!("fixtures/serial/serial_virt_tx.data");
    let virt_tx: SerialVirtTxConfig = decode(blob);
    assert_eq!(virt_tx.driver.data, region(0x2000_1000, 0x20000));
    let names: Vec<_> = virt_tx.clients.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["serial_client0", "serial_client1"]);
    assert_eq!(virt_tx.clients[0].conn.queue.vaddr, 0x2002_1000);
    assert_eq!(virt_tx.clients[1].conn.id, 2);
    assert_eq!(virt_tx.begin_str, "pride\n");
    assert!(virt_tx.enable_colour && virt_tx.enable_rx);
    assert_reencodes(blob, &virt_tx);

    for (blob, _) in [
        (
            &include_bytes!("fixtures/serial/serial_client_serial_client0.data")[..],
            0,
        ),
        (include_bytes!("fixtures/serial/serial_client_serial_client1.data"), 1),
    ] {
        let client: SerialClientConfig = decode(blob);
        assert_eq!(client.rx.queue, region(0x2000_0000, 0x1000));
        assert_eq!(client.tx.data, region(0x2001_2000, 0x10000));
        assert_eq!((client.rx.id, client.tx.id), (0, 1));
        assert_reencodes(blob, &client);
    }

    // Every link's queue fits its region and its data size is a valid capacity.
    for conn in [driver.rx, driver.tx]
        .iter()
        .chain(&virt_rx.clients)
        .chain(virt_tx.clients.iter().map(|c| &c.conn))
    {
        SerialQueue::new(
            vec![0u8; conn.queue.size as usize],
            vec![0u8; conn.data.size as usize],
            conn.data.size as u32,
        )
        .unwrap();
    }
}

#[test]
fn net_system() {
    let blob = include_bytes!("fixtures/net/net_driver.data");
    let driver: NetDriverConfig = decode(blob);
    assert_eq!(driver.virt_rx, net_conn(0x2000_0000, 0x2000_3000, 0x3000, 512, 0));
    assert_eq!(driver.virt_tx, net_conn(0x2000_6000, 0x2000_b000, 0x5000, 1024, 1));
    assert_reencodes(blob, &driver);

    let blob = include_bytes!("fixtures/net/net_virt_rx.data");
    let virt_rx: NetVirtRxConfig = decode(blob);
    assert_eq!(virt_rx.driver, net_conn(0x2000_0000, 0x2000_3000, 0x3000, 512, 0));
    assert_eq!(
        virt_rx.data,
        DeviceRegionResource {
            region: region(0x2000_6000, 0x10_0000),
            io_addr: 0xfff0_0000
        }
    );
    assert_eq!(virt_rx.buffer_metadata, region(0x2010_6000, 0x1000));
    assert_eq!(virt_rx.clients.len(), 2);
    assert_eq!(
        virt_rx.clients[0].conn,
        net_conn(0x2010_7000, 0x2010_a000, 0x3000, 512, 1)
    );
    assert_eq!(
        virt_rx.clients[1].conn,
        net_conn(0x2010_d000, 0x2011_0000, 0x3000, 512, 2)
    );
    // The MAC addresses the script fixed.
    assert_eq!(virt_rx.clients[0].mac_addrs, [MacAddr([0x52, 0x54, 0x01, 0, 0, 0x10])]);
    assert_eq!(virt_rx.clients[1].mac_addrs, [MacAddr([0x52, 0x54, 0x01, 0, 0, 0x11])]);
    assert_reencodes(blob, &virt_rx);

    let blob = include_bytes!("fixtures/net/net_virt_tx.data");
    let virt_tx: NetVirtTxConfig = decode(blob);
    assert_eq!(virt_tx.driver, net_conn(0x2000_0000, 0x2000_5000, 0x5000, 1024, 0));
    assert_eq!(virt_tx.clients.len(), 2);
    assert_eq!(
        virt_tx.clients[0].conn,
        net_conn(0x2000_a000, 0x2000_d000, 0x3000, 512, 1)
    );
    assert_eq!(virt_tx.clients[0].regions.len(), 1);
    assert_eq!(
        virt_tx.clients[0].regions[0].data,
        DeviceRegionResource {
            region: region(0x2001_0000, 0x10_0000),
            io_addr: 0xffe0_0000
        }
    );
    assert_eq!(virt_tx.clients[0].regions[0].num_buffers, 512);
    assert_eq!(virt_tx.clients[1].regions[0].data.io_addr, 0xffd0_0000);
    assert_reencodes(blob, &virt_tx);

    let blob = include_bytes!("fixtures/net/net_copy_net_copy0.data");
    let copy: NetCopyConfig = decode(blob);
    assert_eq!(copy.rx, net_conn(0x2000_0000, 0x2000_3000, 0x3000, 512, 0));
    assert_eq!(
        copy.rx_data_for(0),
        Some(region(0x2000_c000, 0x10_0000)),
        "the rx DMA region"
    );
    assert_eq!(copy.rx_data_for(1), None);
    assert_eq!(copy.client, net_conn(0x2000_6000, 0x2000_9000, 0x3000, 512, 1));
    assert_eq!(copy.client_data, region(0x2010_c000, 0x10_0000));
    assert_reencodes(blob, &copy);
    let copy1: NetCopyConfig = decode(include_bytes!("fixtures/net/net_copy_net_copy1.data"));
    assert_eq!(
        copy1.client_data, copy.client_data,
        "each copier maps its own client's region alike"
    );

    let mut clients = Vec::new();
    for (blob, last) in [
        (&include_bytes!("fixtures/net/net_client_net_client0.data")[..], 0x10),
        (include_bytes!("fixtures/net/net_client_net_client1.data"), 0x11),
    ] {
        let client: NetClientConfig = decode(blob);
        assert_eq!(client.rx, net_conn(0x2000_0000, 0x2000_3000, 0x3000, 512, 0));
        assert_eq!(client.rx_data, region(0x2000_6000, 0x10_0000));
        assert_eq!(client.tx, net_conn(0x2010_6000, 0x2010_9000, 0x3000, 512, 1));
        assert_eq!(client.tx_data, region(0x2010_c000, 0x10_0000));
        assert_eq!(client.mac_addr, MacAddr([0x52, 0x54, 0x01, 0, 0, last]));
        assert_reencodes(blob, &client);
        clients.push(client);
    }

    // Every link: both queues fit their regions at the configured capacity,
    // and a data region holds exactly that many buffers.
    let links = [
        driver.virt_rx,
        driver.virt_tx,
        copy.rx,
        copy.client,
        clients[0].rx,
        clients[0].tx,
    ]
    .into_iter()
    .chain(virt_rx.clients.iter().map(|c| c.conn))
    .chain(virt_tx.clients.iter().map(|c| c.conn));
    for conn in links {
        let mut queues = net_queues(&conn);
        queues.fill_free(0).unwrap();
        assert!(queues.free.is_full());
    }
    assert_eq!(clients[0].tx_data.size, 512 * sddf::net::BUFFER_SIZE as u64);
    assert_eq!(virt_rx.data.region.size, 512 * sddf::net::BUFFER_SIZE as u64);
}

#[test]
fn blk_system() {
    let blk_conn =
        |storage_info: u64, req: u64, resp: u64, size: u64, num_buffers: u16, id: u8| BlkConnectionResource {
            storage_info: region(storage_info, 0x1000),
            req_queue: region(req, size),
            resp_queue: region(resp, size),
            num_buffers,
            id,
        };

    let blob = include_bytes!("fixtures/blk/blk_driver.data");
    let driver: BlkDriverConfig = decode(blob);
    // The driver's queues hold every client's: 128 + 64 (not a power of two).
    let driver_conn = blk_conn(0x2000_0000, 0x2000_1000, 0x2000_7000, 0x6000, 192, 0);
    assert_eq!(driver.virt, driver_conn);
    assert_reencodes(blob, &driver);

    let blob = include_bytes!("fixtures/blk/blk_virt.data");
    let virt: BlkVirtConfig = decode(blob);
    assert_eq!(virt.driver.conn, driver_conn);
    assert_eq!(
        virt.driver.data,
        DeviceRegionResource {
            region: region(0x2000_d000, 0xa000),
            io_addr: 0xffff_6000
        }
    );
    assert_eq!(virt.clients.len(), 2);
    assert_eq!(
        virt.clients[0].conn,
        blk_conn(0x2001_7000, 0x2001_8000, 0x2001_c000, 0x4000, 128, 1)
    );
    assert_eq!(
        virt.clients[1].conn,
        blk_conn(0x2040_0000, 0x2040_1000, 0x2040_3000, 0x2000, 64, 2)
    );
    assert_eq!((virt.clients[0].partition, virt.clients[1].partition), (0, 1));
    assert_eq!(
        virt.clients[1].data,
        DeviceRegionResource {
            region: region(0x2060_0000, 0x20_0000),
            io_addr: 0xffbf_6000
        }
    );
    // sdfgen leaves struct padding undefined (0xaa) in this blob.
    assert!(blob.contains(&0xaa));
    assert_reencodes(blob, &virt);

    for (blob, size, num_buffers) in [
        (
            &include_bytes!("fixtures/blk/blk_client_blk_client0.data")[..],
            0x4000,
            128,
        ),
        (include_bytes!("fixtures/blk/blk_client_blk_client1.data"), 0x2000, 64),
    ] {
        let client: BlkClientConfig = decode(blob);
        let resp = 0x2000_1000 + size;
        assert_eq!(
            client.virt,
            blk_conn(0x2000_0000, 0x2000_1000, resp, size, num_buffers, 0)
        );
        assert_eq!(client.data, region(0x2020_0000, 0x20_0000));
        assert_reencodes(blob, &client);
    }

    for conn in [virt.driver.conn, virt.clients[0].conn, virt.clients[1].conn] {
        BlkQueueHandle::new(
            vec![0u8; conn.req_queue.size as usize],
            vec![0u8; conn.resp_queue.size as usize],
            u32::from(conn.num_buffers),
        )
        .unwrap();
        StorageInfoRegion::new(vec![0u8; conn.storage_info.size as usize]).unwrap();
    }
}

#[test]
fn timer_system() {
    for blob in [
        &include_bytes!("fixtures/timer/timer_client_timer_client0.data")[..],
        include_bytes!("fixtures/timer/timer_client_timer_client1.data"),
    ] {
        assert_eq!(blob, b"sDDF\x06\x00");
        let client: TimerClientConfig = decode(blob);
        assert_eq!(client.driver_id, 0, "each client's only channel");
        assert_reencodes(blob, &client);
    }
}

#[test]
fn a_blob_of_the_wrong_kind_is_refused() {
    let serial_client = include_bytes!("fixtures/serial/serial_client_serial_client0.data");
    assert_eq!(
        NetClientConfig::decode(serial_client),
        Err(ConfigError::BadMagic {
            expected: *b"sDDF\x05",
            found: b"sDDF\x03".to_vec()
        })
    );
    // Same class, another struct: only the size tells them apart.
    assert_eq!(
        SerialDriverConfig::decode(serial_client),
        Err(ConfigError::WrongSize {
            expected: 104,
            found: 88
        })
    );
    let virt_tx = include_bytes!("fixtures/net/net_virt_tx.data");
    assert_eq!(
        NetVirtTxConfig::decode(&virt_tx[..1000]),
        Err(ConfigError::WrongSize {
            expected: 134_200,
            found: 1000
        })
    );
}
