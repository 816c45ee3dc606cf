import Testing

@testable import UpnodeMonitor

@Suite("RingBuffer")
struct RingBufferTests {
    @Test("keeps only the newest elements, oldest first")
    func dropsOldest() {
        var ring = RingBuffer<Int>(capacity: 3)
        for value in 1...7 { ring.append(value) }
        #expect(ring.count == 3)
        #expect(ring.elements == [5, 6, 7])
        #expect(ring.first == 5)
        #expect(ring.last == 7)
        #expect(ring.suffix(2) == [6, 7])
        #expect(ring.suffix(10) == [5, 6, 7])
        #expect(Array(ring) == [5, 6, 7])
    }

    @Test("iteration walks oldest first from every wrap position", arguments: [1, 2, 3, 5])
    func iterationAtEveryWrap(capacity: Int) {
        var ring = RingBuffer<Int>(capacity: capacity)
        var appended: [Int] = []
        for value in 0..<(3 * capacity + 1) {
            let expected = Array(appended.suffix(capacity))
            #expect(Array(ring) == expected)
            #expect(ring.elements == expected)
            #expect(ring.map { $0 * 2 } == expected.map { $0 * 2 })
            #expect(ring.underestimatedCount == expected.count)
            ring.append(value)
            appended.append(value)
        }
    }

    @Test("equality ignores where the ring wrapped")
    func equalityIgnoresWrap() {
        var wrapped = RingBuffer<Int>(capacity: 3)
        for value in 1...5 { wrapped.append(value) }
        let fresh = RingBuffer(capacity: 3, elements: [3, 4, 5])
        #expect(wrapped == fresh)
        #expect(wrapped != RingBuffer(capacity: 4, elements: [3, 4, 5]))
    }

    @Test("capacity is never below one and removeAll empties")
    func edges() {
        var ring = RingBuffer<String>(capacity: 0)
        ring.append("a")
        ring.append("b")
        #expect(ring.capacity == 1)
        #expect(ring.elements == ["b"])
        ring.removeAll()
        #expect(ring.isEmpty)
        #expect(ring.last == nil)
    }

    @Test("monitor rings stay bounded", arguments: [1, 599, 600, 601, 5000])
    func monitorBounds(samples: Int) {
        var state = MonitorState(connections: [Fixtures.connection(0)])
        for index in 0..<samples {
            state.apply(.ping(Double(index), "c1", 1))
            state.apply(
                .state(
                    Double(index), "c1", index % 2 == 0 ? .idle : .connecting,
                    index % 2 == 0 ? .connecting : .up, "start"))
            state.apply(
                MonitorEvent(t: Double(index), conn: nil, kind: .note(level: .info, text: "n")))
        }
        let stats = state["c1"]
        #expect(stats?.rtt.count == min(samples, ConnectionStats.rttCapacity))
        #expect(stats?.windowSamples.count == min(samples, ConnectionStats.statsWindow))
        #expect(stats?.history.count == min(samples, ConnectionStats.historyCapacity))
        #expect(state.log.count <= MonitorState.logCapacity)
        #expect(stats?.pingCount == samples)
    }

    @Test("a full ring keeps room for its capacity, not for the next power of two")
    func storageStaysNearCapacity() {
        var ring = RingBuffer<ConnectionStats.RTTSample>(capacity: ConnectionStats.rttCapacity)
        for index in 0..<(ConnectionStats.rttCapacity * 2) {
            ring.append(.init(t: Double(index), rttMs: 1))
        }
        #expect(ring.count == ConnectionStats.rttCapacity)
        // Allocators round sizes up a little; Array's doubling would give 1,024.
        #expect(ring.reservedCapacity < ConnectionStats.rttCapacity + 64)
        #expect(ring.first?.t == Double(ConnectionStats.rttCapacity))
    }
}
