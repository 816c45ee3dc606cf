import NIOCore
import NIOPosix

/// The timers of every link on one event loop, coalesced per millisecond, behind a single NIO
/// scheduled task: the one for the earliest millisecond that has timers.
///
/// Every link arms two timers per heartbeat (the next ping and the ping's timeout), and a
/// disarmed timer stays armed until it fires (see `UpnodeClient.perform`). With one NIO task
/// each, 10,000 links keep ~60,000 tasks in the loop's timer heap and push and pop 20,000 a
/// second, each copying heap entries (retain and release) over ~16 levels. Grouped by the
/// millisecond they are due in they still kept ~6,000 (one per millisecond of the 5 s ping
/// timeout): 3 % of a 10,000-link process in NIO's heap. Here the due milliseconds wait in a
/// heap of plain integers and NIO holds one task per loop. A timer never fires early and at
/// most 1 ms later than asked (plus the loop's own lateness).
final class LoopTimers: @unchecked Sendable {
    // @unchecked Sendable: an instance lives in one event-loop thread's slot (`current(on:)`
    // runs on the loop, checked), and `schedule` and `fire` run only on that loop, so no two
    // threads ever touch its state.

    /// One instance per event-loop thread.
    private static let slot = ThreadSpecificVariable<LoopTimers>()
    /// Timers due within the same `granularity` nanoseconds share a bucket.
    static let granularity: UInt64 = 1_000_000

    private let eventLoop: any EventLoop
    /// Work due at bucket × granularity (uptime nanoseconds), in the order armed.
    private var buckets: [UInt64: [@Sendable () -> Void]] = [:]
    /// The buckets' keys, earliest first.
    private var due = BucketHeap()
    /// The bucket the pending NIO task is for (`.max`: none pending).
    private var armed = UInt64.max
    /// Set while due work runs: timers it arms wait for the re-arming after it.
    private var isFiring = false

    private init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// The timers of `eventLoop`; call on that loop.
    static func current(on eventLoop: any EventLoop) -> LoopTimers {
        eventLoop.assertInEventLoop()
        if let timers = slot.currentValue, timers.eventLoop === eventLoop { return timers }
        let timers = LoopTimers(eventLoop: eventLoop)
        slot.currentValue = timers
        return timers
    }

    /// Runs `work` on the loop once `nanoseconds` have passed (rounded up to the millisecond).
    func schedule(inNanoseconds nanoseconds: Int64, _ work: @escaping @Sendable () -> Void) {
        let deadline = eventLoop.now + .nanoseconds(max(0, nanoseconds))
        let bucket = (deadline.uptimeNanoseconds + Self.granularity - 1) / Self.granularity
        if buckets[bucket] != nil {
            buckets[bucket]?.append(work)
            return
        }
        buckets[bucket] = [work]
        due.push(bucket)
        if !isFiring, bucket < armed { arm(bucket) }
    }

    /// Asks NIO to call `fire` at `bucket`'s time. A task armed for a later bucket stays
    /// in NIO's heap and finds nothing to do when it fires.
    private func arm(_ bucket: UInt64) {
        armed = bucket
        eventLoop.scheduleTask(deadline: .uptimeNanoseconds(bucket * Self.granularity)) {
            self.fire(bucket)
        }
    }

    private func fire(_ bucket: UInt64) {
        guard bucket == armed else { return }  // superseded by an earlier arming
        armed = .max
        // Everything due now, taken out first: work that arms a timer due at once gets it
        // in a later turn of the loop, so a timer re-arming itself cannot starve I/O.
        let now = NIODeadline.now().uptimeNanoseconds
        var ready: [[@Sendable () -> Void]] = []
        while let first = due.min, first * Self.granularity <= now {
            due.popMin()
            if let work = buckets.removeValue(forKey: first) { ready.append(work) }
        }
        isFiring = true
        for work in ready {
            for item in work { item() }
        }
        isFiring = false
        if let next = due.min { arm(next) }
    }
}

/// A binary min-heap of bucket numbers (no duplicates are pushed: a bucket is pushed when
/// it is created and popped when it runs).
struct BucketHeap {
    private var keys: [UInt64] = []

    /// The smallest key, if any.
    var min: UInt64? { keys.first }
    var count: Int { keys.count }

    mutating func push(_ key: UInt64) {
        keys.append(key)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child] < keys[parent] else { break }
            keys.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() {
        guard !keys.isEmpty else { return }
        let last = keys.removeLast()
        guard !keys.isEmpty else { return }
        keys[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < keys.count else { break }
            var smallest = left
            if left + 1 < keys.count, keys[left + 1] < keys[left] { smallest = left + 1 }
            guard keys[smallest] < keys[parent] else { break }
            keys.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
