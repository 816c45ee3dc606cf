import DnodeProtocol
import Testing

@testable import UpnodeMonitor

/// The recent calls each method keeps for the Methods view.
@Suite("Tapped call traces")
struct TapTraceTests {
    typealias Key = TapConnectionStats.MethodKey

    @Test("each call is traced from its start to its end: ok, error, streaming, unanswered")
    func outcomes() throws {
        let state = TapStatsTests.state()
        let tap = try #require(state[TapStatsTests.conn]?.tap)
        let add = try #require(tap.methods[Key(caller: .client, method: "add")])
        #expect(add.traces.map(\.id) == (1...8).map { "\($0)" })
        #expect(add.traces[0].outcome == .ok)
        #expect(add.traces[3].outcome == .error)
        #expect(add.traces[3].durMs == 4)
        #expect(add.traces[0].args == ["<int>"])
        #expect(add.traces.allSatisfy { $0.answers == 1 })
        let subscribe = try #require(tap.methods[Key(caller: .client, method: "subscribe")])
        #expect(subscribe.traces.map(\.answers) == [3])
        #expect(subscribe.traces.first?.durMs == 1000)
        let slow = try #require(tap.methods[Key(caller: .client, method: "slow")])
        #expect(slow.traces.first?.outcome == .unanswered(reason: "timeout"))
        #expect(slow.traces.first?.durMs == 30_000)
        let log = try #require(tap.methods[Key(caller: .client, method: "log")])
        #expect(log.traces.first?.outcome == .noReply)
        #expect(log.traces.first?.answers == 0)
    }

    @Test("a call waits in flight; a late answer leaves it unanswered but counts the answer")
    func inFlightAndLate() {
        var tap = TapConnectionStats(client: "a", target: "b", t: 0)
        tap.apply(.call(id: "1", method: "slow", caller: .client, args: [], awaits: true), t: 1)
        #expect(tap.methods.values.first?.traces.first?.outcome == .inFlight)
        #expect(tap.methods.values.first?.traces.first?.durMs == nil)
        tap.apply(
            .unanswered(
                id: "1", method: "slow", caller: .client, afterMs: 30_000, reason: "timeout"),
            t: 31)
        tap.apply(
            .result(
                id: "1", method: "slow", caller: .client, n: 1, ok: true, durMs: 40_000, late: true,
                payload: ["<int>"]), t: 41)
        let trace = tap.methods.values.first?.traces.first
        #expect(trace?.outcome == .unanswered(reason: "timeout"))
        #expect(trace?.durMs == 30_000)
        #expect(trace?.answers == 1)
        #expect(trace?.payload == ["<int>"])
    }

    @Test("a large recorded argument or answer is kept as its shape")
    func largeValues() {
        var tap = TapConnectionStats(client: "a", target: "b", t: 0)
        let big = JSONValue.string(String(repeating: "x", count: 10_000))
        tap.apply(
            .call(id: "1", method: "put", caller: .client, args: [big, 7], awaits: true), t: 1)
        tap.apply(
            .result(
                id: "1", method: "put", caller: .client, n: 1, ok: true, durMs: 1, late: false,
                payload: [.null, "small"]), t: 2)
        let trace = tap.methods.values.first?.traces.first
        #expect(trace?.args == ["<string>", "<int>"])
        #expect(trace?.payload == [.null, "small"])
        let wide = JSONValue.object(
            .init(uniqueKeysWithValues: (0..<3000).map { ("\($0)", JSONValue.int(1)) }))
        #expect(TapConnectionStats.kept(wide) == Redaction.shape(of: wide))
    }

    @Test("at most tracesPerMethod calls are kept per method, the newest")
    func bounded() {
        var tap = TapConnectionStats(client: "a", target: "b", t: 0)
        let count = TapConnectionStats.tracesPerMethod + 25
        for index in 1...count {
            tap.apply(
                .call(id: "\(index)", method: "add", caller: .client, args: [], awaits: false),
                t: Double(index))
        }
        let traces = tap.methods.values.first?.traces
        #expect(traces?.count == TapConnectionStats.tracesPerMethod)
        #expect(traces?.first?.id == "26")
        #expect(traces?.last?.id == "\(count)")
    }
}
