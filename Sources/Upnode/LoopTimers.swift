import NIOCore
import NIOPosix

/// The timers of every link on one event loop, coalesced per millisecond: one NIO scheduled
/// task per millisecond that has timers, not one per timer.
///
/// Every link arms two timers per heartbeat (the next ping and the ping's timeout), and a
/// disarmed timer stays armed until it fires (see `UpnodeClient.perform`). With one NIO task
/// each, 10,000 links keep ~60,000 tasks in the loop's timer heap and push and pop 20,000 a
/// second, each copying heap entries (retain and release) over ~16 levels: the largest cost
/// of a process watching many links. Grouped by the millisecond they are due in, the heap
/// holds at most one entry per millisecond of the longest delay. A timer never fires early
/// and at most 1 ms later than asked.
final class LoopTimers: @unchecked Sendable {
    // @unchecked Sendable: an instance lives in one event-loop thread's slot (`current(on:)`
    // runs on the loop, checked), and `schedule` and `fire` run only on that loop, so no two
    // threads ever touch `buckets`.

    /// One instance per event-loop thread.
    private static let slot = ThreadSpecificVariable<LoopTimers>()
    /// Timers due within the same `granularity` nanoseconds share a NIO task.
    static let granularity: UInt64 = 1_000_000

    private let eventLoop: any EventLoop
    /// Work due at bucket × granularity (uptime nanoseconds), in the order armed.
    private var buckets: [UInt64: [@Sendable () -> Void]] = [:]

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
        eventLoop.scheduleTask(deadline: .uptimeNanoseconds(bucket * Self.granularity)) {
            self.fire(bucket)
        }
    }

    private func fire(_ bucket: UInt64) {
        // Taken out first: work that arms a timer due in the same bucket gets a new task.
        guard let due = buckets.removeValue(forKey: bucket) else { return }
        for work in due { work() }
    }
}
