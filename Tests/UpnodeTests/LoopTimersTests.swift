import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import Upnode

/// The links' timers share one NIO task per millisecond (LoopTimers): every timer must still
/// fire once, never before its delay, and timers due together fire in the order armed.
@Suite("Coalesced loop timers")
struct LoopTimersTests {
    final class Firings: Sendable {
        let values = Mutex<[(index: Int, early: Bool)]>([])
        let remaining: Atomic<Int>
        init(count: Int) { remaining = Atomic(count) }
    }

    @Test("200 timers over 0–30 ms each fire once, none early, ties in the order armed")
    func everyTimerOnceNeverEarly() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let delays: [Int64] = (0..<200).map { (index: Int) -> Int64 in
            let milliseconds = Int64((index * 7919) % 31)
            let quarters = Int64(index % 3)
            return milliseconds * 1_000_000 + quarters * 250_000
        }
        let done = loop.makePromise(of: Void.self)
        let firings = Firings(count: delays.count)
        loop.execute {
            let timers = LoopTimers.current(on: loop)
            #expect(LoopTimers.current(on: loop) === timers)
            for (index, delay) in delays.enumerated() {
                let due = NIODeadline.now() + .nanoseconds(delay)
                timers.schedule(inNanoseconds: delay) {
                    let early = NIODeadline.now() < due
                    firings.values.withLock { $0.append((index, early)) }
                    let left = firings.remaining.subtract(1, ordering: .relaxed).newValue
                    if left == 0 { done.succeed() }
                }
            }
        }
        try await done.futureResult.get()
        let fired = firings.values.withLock { $0 }
        #expect(fired.map(\.index).sorted() == Array(0..<200))
        #expect(fired.allSatisfy { !$0.early })
        // Same delay, armed in index order: they fire in index order.
        for delay in Set(delays) {
            let armed = delays.indices.filter { delays[$0] == delay }
            #expect(fired.map(\.index).filter { delays[$0] == delay } == armed)
        }
        try await group.shutdownGracefully()
    }
}
