//! Exhaustive interleaving checks of the sDDF signalling protocols, run on
//! this crate's real queue code.
//!
//! A producer and a consumer share one queue in a byte buffer. Each step of
//! either side is one call into the queue API (an enqueue, a flag store, a
//! re-check...), so the explorer below tries every order in which the two
//! sides' calls can interleave on one core (sequential consistency; the
//! fences the queues issue are what is meant to give the same guarantee on a
//! multiprocessor). Notifications are binary and coalesce, as seL4's do.
//!
//! The property: no lost wake-up. In every state where neither side can take
//! a step (both wait for a notification that is not pending, or are done),
//! every item has been delivered, in order. Each model is also checked with
//! one step of the protocol removed, to show the explorer does find the
//! deadlock that step prevents.
//!
//! Upstream checked the same protocols in SPIN and GenMC; this re-checks the
//! implementation rather than a model of it.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

use sddf::net::{queue_region_size, NetDescriptor, NetQueue};
use sddf::ring::QueueError;
use sddf::serial::{SerialQueue, QUEUE_SIZE};

/// Breadth-first search of every reachable state. Returns the number of
/// states, or the first state with no successor that `finished` rejects.
fn explore<S: Clone + Eq + Hash>(
    init: S,
    successors: impl Fn(&S) -> Vec<S>,
    finished: impl Fn(&S) -> bool,
) -> Result<usize, S> {
    let mut seen = HashSet::from([init.clone()]);
    let mut frontier = VecDeque::from([init]);
    while let Some(state) = frontier.pop_front() {
        let next = successors(&state);
        if next.is_empty() && !finished(&state) {
            return Err(state);
        }
        for s in next {
            if seen.insert(s.clone()) {
                frontier.push_back(s);
            }
        }
    }
    Ok(seen.len())
}

// ---------------------------------------------------------------- network

/// Which steps of the consumer's half of the protocol to leave out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NetMutation {
    None,
    /// Request a signal but do not re-check the queue afterwards.
    NoRecheck,
    /// Never request a signal (rely on the producer notifying anyway).
    NoRequest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum NetProducer {
    /// Enqueueing; `batch` says whether anything went in since the last check.
    Run { batch: bool },
    /// Enqueued a batch; about to look at the flag.
    Check,
    /// The flag asked for a signal; about to mark it given and notify.
    Cancel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum NetConsumer {
    /// Waiting for a notification.
    Idle,
    Drain,
    Request,
    Recheck,
    Cancel,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct NetState {
    mem: Vec<u8>,
    producer: NetProducer,
    consumer: NetConsumer,
    sent: u64,
    received: u64,
    notification_pending: bool,
    /// Requests the consumer made (the zero-filled flag counts as one).
    requests: u32,
    /// Notifications the producer sent.
    notifications: u32,
}

const NET_ITEMS: u64 = 4;

fn net_queue(mem: &mut Vec<u8>, capacity: u32) -> NetQueue<&mut Vec<u8>> {
    NetQueue::new(mem, capacity).unwrap()
}

fn net_successors(s: &NetState, capacity: u32, mutation: NetMutation) -> Vec<NetState> {
    let mut out = Vec::new();

    // Producer steps.
    match s.producer {
        NetProducer::Run { batch } => {
            if s.sent < NET_ITEMS {
                let mut t = s.clone();
                let item = NetDescriptor {
                    io_or_offset: s.sent,
                    ..NetDescriptor::default()
                };
                match net_queue(&mut t.mem, capacity).enqueue(item) {
                    Ok(()) => {
                        t.sent += 1;
                        t.producer = NetProducer::Run { batch: true };
                        out.push(t);
                    }
                    // The producer of an active queue never holds more
                    // buffers than the capacity; the model sizes it so.
                    Err(e) => panic!("producer: {e:?}"),
                }
            }
            if batch {
                let mut t = s.clone();
                t.producer = NetProducer::Check;
                out.push(t);
            }
        }
        NetProducer::Check => {
            let mut t = s.clone();
            t.producer = if net_queue(&mut t.mem, capacity).require_signal() {
                NetProducer::Cancel
            } else {
                NetProducer::Run { batch: false }
            };
            out.push(t);
        }
        NetProducer::Cancel => {
            let mut t = s.clone();
            net_queue(&mut t.mem, capacity).cancel_signal();
            t.notification_pending = true;
            t.notifications += 1;
            t.producer = NetProducer::Run { batch: false };
            out.push(t);
        }
    }

    // Consumer steps.
    let mut t = s.clone();
    match s.consumer {
        NetConsumer::Idle => {
            if !s.notification_pending {
                return out;
            }
            t.notification_pending = false;
            t.consumer = NetConsumer::Drain;
        }
        NetConsumer::Drain => match net_queue(&mut t.mem, capacity).dequeue() {
            Ok(item) => {
                assert_eq!(item.io_or_offset, s.received, "FIFO order");
                t.received += 1;
            }
            Err(QueueError::Empty) => {
                t.consumer = match mutation {
                    NetMutation::NoRequest => NetConsumer::Idle,
                    _ => NetConsumer::Request,
                }
            }
            Err(e) => panic!("consumer: {e:?}"),
        },
        NetConsumer::Request => {
            net_queue(&mut t.mem, capacity).request_signal();
            t.requests += 1;
            t.consumer = match mutation {
                NetMutation::NoRecheck => NetConsumer::Idle,
                _ => NetConsumer::Recheck,
            };
        }
        NetConsumer::Recheck => {
            t.consumer = if net_queue(&mut t.mem, capacity).is_empty() {
                NetConsumer::Idle
            } else {
                NetConsumer::Cancel
            };
        }
        NetConsumer::Cancel => {
            net_queue(&mut t.mem, capacity).cancel_signal();
            t.consumer = NetConsumer::Drain;
        }
    }
    out.push(t);
    out
}

fn check_net(capacity: u32, start: u16, mutation: NetMutation) -> Result<usize, NetState> {
    let mut mem = vec![0u8; queue_region_size(capacity)];
    net_queue(&mut mem, capacity).init_at(start);
    let init = NetState {
        mem,
        producer: NetProducer::Run { batch: false },
        consumer: NetConsumer::Idle,
        sent: 0,
        received: 0,
        notification_pending: false,
        requests: 1,
        notifications: 0,
    };
    explore(
        init,
        |s| net_successors(s, capacity, mutation),
        |s| s.received == NET_ITEMS,
    )
}

#[test]
fn net_signalling_never_loses_a_wake_up() {
    // Capacity 4 holds every item; start indices on both sides of the wrap.
    for start in [0, u16::MAX - 1] {
        let states = check_net(4, start, NetMutation::None).unwrap_or_else(|s| panic!("lost wake-up: {s:?}"));
        assert!(states > 100, "explored {states} states");
    }
}

#[test]
fn net_signalling_needs_the_recheck_and_the_request() {
    let stuck = check_net(4, 0, NetMutation::NoRecheck).expect_err("without the re-check a wake-up is lost");
    assert!(stuck.received < NET_ITEMS && stuck.consumer == NetConsumer::Idle);
    assert!(check_net(4, 0, NetMutation::NoRequest).is_err());
}

#[test]
fn net_producer_notifies_only_when_asked() {
    // Each notification uses up one request (the producer marks it given),
    // so there are never more notifications than requests: the flag keeps
    // the producer from notifying a consumer that did not ask.
    let mut mem = vec![0u8; queue_region_size(4)];
    net_queue(&mut mem, 4).init();
    let init = NetState {
        mem,
        producer: NetProducer::Run { batch: false },
        consumer: NetConsumer::Idle,
        sent: 0,
        received: 0,
        notification_pending: false,
        requests: 1,
        notifications: 0,
    };
    let result = explore(
        init,
        |s| {
            assert!(s.notifications <= s.requests, "a notification nobody asked for: {s:?}");
            net_successors(s, 4, NetMutation::None)
        },
        |s| s.received == NET_ITEMS,
    );
    assert!(result.is_ok());
}

// ----------------------------------------------------------------- serial

#[derive(Clone, Copy, PartialEq, Eq)]
enum SerialMutation {
    None,
    /// The producer requests a signal when full but does not re-check.
    NoRecheck,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum SerialProducer {
    Run,
    /// Found the queue full; about to request a signal.
    Request,
    Recheck,
    Cancel,
    /// Waiting for the consumer's notification.
    Wait,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum SerialConsumer {
    Idle,
    Drain,
    /// Drained; about to look at the flag.
    Check,
    Cancel,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SerialState {
    queue: Vec<u8>,
    data: Vec<u8>,
    producer: SerialProducer,
    /// The producer enqueued since it last notified.
    unannounced: bool,
    consumer: SerialConsumer,
    sent: u8,
    received: u8,
    consumer_notified: bool,
    producer_notified: bool,
}

const SERIAL_ITEMS: u8 = 5;

fn serial_queue(s: &mut SerialState, capacity: u32) -> SerialQueue<&mut Vec<u8>, &mut Vec<u8>> {
    SerialQueue::new(&mut s.queue, &mut s.data, capacity).unwrap()
}

fn serial_successors(s: &SerialState, capacity: u32, mutation: SerialMutation) -> Vec<SerialState> {
    let mut out = Vec::new();

    // Producer: the serial producer always notifies after enqueueing; here
    // it may do so after any number of bytes, but before it waits.
    if s.unannounced && matches!(s.producer, SerialProducer::Run | SerialProducer::Wait) {
        let mut t = s.clone();
        t.unannounced = false;
        t.consumer_notified = true;
        out.push(t);
    }
    let mut t = s.clone();
    let producer_moved = match s.producer {
        SerialProducer::Run if s.sent < SERIAL_ITEMS => {
            match serial_queue(&mut t, capacity).enqueue(s.sent) {
                Ok(()) => {
                    t.sent += 1;
                    t.unannounced = true;
                }
                Err(QueueError::Full) => t.producer = SerialProducer::Request,
                Err(e) => panic!("producer: {e:?}"),
            }
            true
        }
        SerialProducer::Run => false,
        SerialProducer::Request => {
            serial_queue(&mut t, capacity).request_consumer_signal();
            t.producer = match mutation {
                SerialMutation::NoRecheck => SerialProducer::Wait,
                SerialMutation::None => SerialProducer::Recheck,
            };
            true
        }
        SerialProducer::Recheck => {
            t.producer = if serial_queue(&mut t, capacity).is_full() {
                SerialProducer::Wait
            } else {
                SerialProducer::Cancel
            };
            true
        }
        SerialProducer::Cancel => {
            serial_queue(&mut t, capacity).cancel_consumer_signal();
            t.producer = SerialProducer::Run;
            true
        }
        // Blocks only once it has announced what it wrote.
        SerialProducer::Wait if s.producer_notified && !s.unannounced => {
            t.producer_notified = false;
            t.producer = SerialProducer::Run;
            true
        }
        SerialProducer::Wait => false,
    };
    if producer_moved {
        out.push(t);
    }

    // Consumer.
    let mut t = s.clone();
    match s.consumer {
        SerialConsumer::Idle => {
            if !s.consumer_notified {
                return out;
            }
            t.consumer_notified = false;
            t.consumer = SerialConsumer::Drain;
        }
        SerialConsumer::Drain => match serial_queue(&mut t, capacity).dequeue() {
            Ok(byte) => {
                assert_eq!(byte, s.received, "FIFO order");
                t.received += 1;
            }
            Err(QueueError::Empty) => t.consumer = SerialConsumer::Check,
            Err(e) => panic!("consumer: {e:?}"),
        },
        SerialConsumer::Check => {
            t.consumer = if serial_queue(&mut t, capacity).require_consumer_signal() {
                SerialConsumer::Cancel
            } else {
                SerialConsumer::Idle
            };
        }
        SerialConsumer::Cancel => {
            serial_queue(&mut t, capacity).cancel_consumer_signal();
            t.producer_notified = true;
            t.consumer = SerialConsumer::Idle;
        }
    }
    out.push(t);
    out
}

fn check_serial(capacity: u32, start: u32, mutation: SerialMutation) -> Result<usize, SerialState> {
    let mut init = SerialState {
        queue: vec![0u8; QUEUE_SIZE],
        data: vec![0u8; capacity as usize],
        producer: SerialProducer::Run,
        unannounced: false,
        consumer: SerialConsumer::Idle,
        sent: 0,
        received: 0,
        consumer_notified: false,
        producer_notified: false,
    };
    serial_queue(&mut init, capacity).init_at(start);
    explore(
        init,
        |s| serial_successors(s, capacity, mutation),
        |s| s.received == SERIAL_ITEMS,
    )
}

#[test]
fn serial_signalling_never_loses_a_wake_up() {
    // Small capacities so the producer fills the queue and must wait.
    for capacity in [1, 2] {
        for start in [0, u32::MAX] {
            let states =
                check_serial(capacity, start, SerialMutation::None).unwrap_or_else(|s| panic!("lost wake-up: {s:?}"));
            assert!(states > 100, "explored {states} states");
        }
    }
}

#[test]
fn serial_signalling_needs_the_producers_recheck() {
    let stuck = check_serial(1, 0, SerialMutation::NoRecheck).expect_err("without the re-check a wake-up is lost");
    assert_eq!(stuck.producer, SerialProducer::Wait);
    assert!(stuck.received < SERIAL_ITEMS);
}
