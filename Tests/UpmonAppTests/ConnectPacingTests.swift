import Testing

@testable import UpmonApp

@Suite("Connect pacing: at most a window of dials in flight per server")
struct ConnectPacingTests {
    @Test("one endpoint: the first window starts, then one more per finished dial")
    func oneEndpoint() {
        var window = DialWindow(
            pacing: ConnectPacing(window: 3, maxWait: 10),
            endpoints: Array(repeating: "s", count: 7))
        #expect(window.due(now: 0) == [0, 1, 2])
        #expect(window.due(now: 1).isEmpty)
        window.dialed(1)
        window.dialed(1)  // a second report frees nothing more
        #expect(window.due(now: 1) == [3])
        window.dialed(0)
        window.dialed(2)
        #expect(window.due(now: 2) == [4, 5])
        #expect(!window.isDone)
        window.dialed(6)  // not started yet: ignored
        #expect(window.due(now: 2).isEmpty)
        window.dialed(3)
        #expect(window.due(now: 2) == [6])
        #expect(window.isDone)
    }

    @Test("each endpoint has its own window; starts come in list order")
    func endpointsSideBySide() {
        var window = DialWindow(
            pacing: ConnectPacing(window: 2, maxWait: 10),
            endpoints: ["a", "b", "a", "a", "b", "c", "a"])
        #expect(window.due(now: 0) == [0, 1, 2, 4, 5])
        window.dialed(4)
        #expect(window.due(now: 0).isEmpty)
        window.dialed(0)
        #expect(window.due(now: 0) == [3])
    }

    @Test("a dial that hangs gives up its place after maxWait")
    func silentHost() {
        var window = DialWindow(
            pacing: ConnectPacing(window: 1, maxWait: 0.5), endpoints: ["a", "a", "a"])
        #expect(window.due(now: 0) == [0])
        #expect(window.due(now: 0.4).isEmpty)
        #expect(window.due(now: 0.5) == [1])
        window.dialed(0)  // the hung dial ends late: its place was already given away
        #expect(window.due(now: 0.6).isEmpty)
        #expect(window.due(now: 1.0) == [2])
    }

    @Test(
        "random dial outcomes: every link starts exactly once, never more than the window",
        arguments: [1, 2, 3, 4] as [UInt64])
    func randomOutcomes(seed: UInt64) {
        var generator = SplitMix(seed: seed)
        let endpoints = (0..<500).map { _ in "e\(generator.next() % 4)" }
        let size = Int(generator.next() % 20) + 1
        var window = DialWindow(
            pacing: ConnectPacing(window: size, maxWait: 1e9), endpoints: endpoints)
        var started: [Int] = []
        var running: Set<Int> = []
        var now = 0.0
        while !window.isDone {
            let due = window.due(now: now)
            started += due
            running.formUnion(due)
            let perEndpoint = Dictionary(grouping: running) { endpoints[$0] }
            #expect(perEndpoint.values.allSatisfy { $0.count <= size })
            for index in running where generator.next() % 3 == 0 {
                window.dialed(index)
                running.remove(index)
            }
            now += 0.1
        }
        #expect(started.sorted() == Array(0..<500))
        for endpoint in Set(endpoints) {
            let order = started.filter { endpoints[$0] == endpoint }
            #expect(order == order.sorted())
        }
    }

    @Test("window 0 starts every link at once")
    func unpaced() {
        var window = DialWindow(pacing: .unpaced, endpoints: ["a", "a", "b"])
        #expect(window.due(now: 0) == [0, 1, 2])
        #expect(window.isDone)
        var empty = DialWindow(pacing: .standard, endpoints: [])
        #expect(empty.isDone)
        #expect(empty.due(now: 0).isEmpty)
    }

    @Test("connect_window in the config sets the window; without it the standard one applies")
    func configKey() throws {
        let paced = try UpmonConfig.parse(
            "connect_window = 500\n[a]\nendpoint = 127.0.0.1:1", file: "c.conf")
        #expect(paced.connectPacing.window == 500)
        let plain = try UpmonConfig.parse("[a]\nendpoint = 127.0.0.1:1", file: "c.conf")
        #expect(plain.connectPacing == .standard)
        #expect(throws: ConfigError.self) {
            try UpmonConfig.parse("connect_window = many\n", file: "c.conf")
        }
    }

    @Test("10,000 sections parse, and a repeated name is still refused")
    func manySections() throws {
        let text = (0..<10_000).map { "[l\($0)]\nendpoint = unix:/s\n" }.joined()
        #expect(try UpmonConfig.parse(text, file: "c.conf").connections.count == 10_000)
        #expect(throws: ConfigError.self) {
            try UpmonConfig.parse(text + "[l5]\nendpoint = unix:/s\n", file: "c.conf")
        }
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
