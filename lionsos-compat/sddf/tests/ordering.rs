//! Where the queues place their fences, checked on a recording
//! [`SharedMemory`]: an entry is written before the release fence that
//! precedes publishing its index; a published index is read before the
//! acquire fence that precedes reading the entry; a signal request is
//! followed, and a signal check preceded, by a full fence.

use std::cell::RefCell;
use std::rc::Rc;

use sddf::blk::{request_queue_region_size, BlkRequest, BlkRequestQueue, RequestCode, StorageInfoRegion};
use sddf::net::{queue_region_size, NetDescriptor, NetQueue};
use sddf::serial::SerialQueue;
use sddf::shared::{Fence, SharedMemory};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// (region, offset)
    Load(char, usize),
    Store(char, usize),
    Fence(Fence),
}

type Log = Rc<RefCell<Vec<Event>>>;

/// A byte buffer that logs every access, tagged with the region's name.
struct Recording {
    name: char,
    bytes: Vec<u8>,
    log: Log,
}

impl Recording {
    fn new(name: char, size: usize, log: &Log) -> Self {
        Recording {
            name,
            bytes: vec![0; size],
            log: log.clone(),
        }
    }
    fn load(&self, offset: usize) {
        self.log.borrow_mut().push(Event::Load(self.name, offset));
    }
    fn store(&self, offset: usize) {
        self.log.borrow_mut().push(Event::Store(self.name, offset));
    }
}

impl SharedMemory for Recording {
    fn size(&self) -> usize {
        self.bytes.len()
    }
    fn load_u8(&self, offset: usize) -> u8 {
        self.load(offset);
        self.bytes.load_u8(offset)
    }
    fn load_u16(&self, offset: usize) -> u16 {
        self.load(offset);
        self.bytes.load_u16(offset)
    }
    fn load_u32(&self, offset: usize) -> u32 {
        self.load(offset);
        self.bytes.load_u32(offset)
    }
    fn load_u64(&self, offset: usize) -> u64 {
        self.load(offset);
        self.bytes.load_u64(offset)
    }
    fn store_u8(&mut self, offset: usize, value: u8) {
        self.store(offset);
        self.bytes.store_u8(offset, value)
    }
    fn store_u16(&mut self, offset: usize, value: u16) {
        self.store(offset);
        self.bytes.store_u16(offset, value)
    }
    fn store_u32(&mut self, offset: usize, value: u32) {
        self.store(offset);
        self.bytes.store_u32(offset, value)
    }
    fn store_u64(&mut self, offset: usize, value: u64) {
        self.store(offset);
        self.bytes.store_u64(offset, value)
    }
    fn fence(&self, kind: Fence) {
        self.log.borrow_mut().push(Event::Fence(kind));
    }
}

fn take(log: &Log) -> Vec<Event> {
    std::mem::take(&mut *log.borrow_mut())
}

fn position(events: &[Event], wanted: Event) -> usize {
    events
        .iter()
        .position(|e| *e == wanted)
        .unwrap_or_else(|| panic!("{wanted:?} not in {events:?}"))
}

fn last_position(events: &[Event], wanted: impl Fn(&Event) -> bool) -> usize {
    events.iter().rposition(wanted).expect("no such event")
}

#[test]
fn net_enqueue_publishes_after_a_release_fence() {
    let log = Log::default();
    let mut q = NetQueue::new(Recording::new('q', queue_region_size(4), &log), 4).unwrap();
    take(&log);
    q.enqueue(NetDescriptor::default()).unwrap();
    let events = take(&log);
    let tail_store = position(&events, Event::Store('q', 0));
    let release = position(&events, Event::Fence(Fence::Release));
    let last_entry_store = last_position(&events, |e| matches!(e, Event::Store('q', at) if *at >= 8));
    assert!(last_entry_store < release && release < tail_store, "{events:?}");
    assert_eq!(tail_store, events.len() - 1, "publishing is the last thing");
}

#[test]
fn net_dequeue_reads_the_entry_after_an_acquire_and_frees_it_after_a_release() {
    let log = Log::default();
    let mut q = NetQueue::new(Recording::new('q', queue_region_size(4), &log), 4).unwrap();
    q.enqueue(NetDescriptor::default()).unwrap();
    take(&log);
    q.dequeue().unwrap();
    let events = take(&log);
    let tail_load = position(&events, Event::Load('q', 0));
    let acquire = position(&events, Event::Fence(Fence::Acquire));
    let first_entry_load = events
        .iter()
        .position(|e| matches!(e, Event::Load('q', at) if *at >= 8))
        .unwrap();
    let last_entry_load = last_position(&events, |e| matches!(e, Event::Load('q', at) if *at >= 8));
    let release = position(&events, Event::Fence(Fence::Release));
    let head_store = position(&events, Event::Store('q', 2));
    assert!(tail_load < acquire && acquire < first_entry_load, "{events:?}");
    assert!(last_entry_load < release && release < head_store, "{events:?}");
}

#[test]
fn net_signal_request_and_check_are_fenced() {
    let log = Log::default();
    let mut q = NetQueue::new(Recording::new('q', queue_region_size(4), &log), 4).unwrap();
    take(&log);
    q.request_signal();
    assert_eq!(
        take(&log),
        [Event::Store('q', 4), Event::Fence(Fence::SeqCst)],
        "request, then full fence before the re-check"
    );
    q.require_signal();
    assert_eq!(take(&log), [Event::Fence(Fence::SeqCst), Event::Load('q', 4)]);
}

#[test]
fn serial_data_is_written_before_the_tail_and_read_before_the_head() {
    let log = Log::default();
    let mut q = SerialQueue::new(Recording::new('q', 12, &log), Recording::new('d', 8, &log), 8).unwrap();
    take(&log);
    q.enqueue_batch(b"abc").unwrap();
    let events = take(&log);
    let last_data = last_position(&events, |e| matches!(e, Event::Store('d', _)));
    let release = position(&events, Event::Fence(Fence::Release));
    let tail_store = position(&events, Event::Store('q', 0));
    assert!(last_data < release && release < tail_store, "{events:?}");

    q.dequeue().unwrap();
    let events = take(&log);
    let tail_load = position(&events, Event::Load('q', 0));
    let acquire = position(&events, Event::Fence(Fence::Acquire));
    let data_load = position(&events, Event::Load('d', 0));
    let release = position(&events, Event::Fence(Fence::Release));
    let head_store = position(&events, Event::Store('q', 4));
    assert!(tail_load < acquire && acquire < data_load && data_load < release && release < head_store);

    q.request_consumer_signal();
    assert_eq!(take(&log), [Event::Store('q', 8), Event::Fence(Fence::SeqCst)]);
    q.require_consumer_signal();
    assert_eq!(take(&log), [Event::Fence(Fence::SeqCst), Event::Load('q', 8)]);
}

#[test]
fn blk_requests_and_storage_readiness_are_published_with_release() {
    let log = Log::default();
    let mut q = BlkRequestQueue::new(Recording::new('r', request_queue_region_size(2), &log), 2).unwrap();
    take(&log);
    q.enqueue(BlkRequest {
        code: RequestCode::Read,
        io_or_offset: 0,
        block_number: 0,
        count: 1,
        id: 1,
    })
    .unwrap();
    let events = take(&log);
    let last_entry = last_position(&events, |e| matches!(e, Event::Store('r', at) if *at >= 16));
    let release = position(&events, Event::Fence(Fence::Release));
    let tail_store = position(&events, Event::Store('r', 4));
    assert!(last_entry < release && release < tail_store, "{events:?}");

    let mut info = StorageInfoRegion::new(Recording::new('s', 4096, &log)).unwrap();
    info.set_ready(true);
    assert_eq!(take(&log), [Event::Fence(Fence::Release), Event::Store('s', 65)]);
    info.is_ready();
    assert_eq!(take(&log), [Event::Load('s', 65), Event::Fence(Fence::Acquire)]);
}
