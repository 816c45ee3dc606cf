import Synchronization

/// How a session starts its links: at most `window` dials in flight per endpoint, the next
/// link starting as soon as one of them is connected or has failed. 10,000 links to one
/// server then never dial in the same instant (its listen backlog would overflow and refuse
/// most of them with EAGAIN, and each refused link waits out a reconnect delay), and the pace
/// follows how fast that server accepts. Links to different endpoints start side by side.
public struct ConnectPacing: Sendable, Equatable {
    /// Dials in flight per endpoint; 0 starts every link at once.
    public var window: Int
    /// A dial still unfinished after this many seconds gives up its place in the window (a
    /// silent host must not hold back the links behind it for a whole connect timeout).
    public var maxWait: Double

    /// 128 dials per server at a time (half of `upmon serve`'s listen backlog), each holding
    /// its place for at most half a second.
    public static let standard = ConnectPacing(window: 128, maxWait: 0.5)
    /// Every link at once.
    public static let unpaced = ConnectPacing(window: 0, maxWait: 0.5)

    /// `window` dials in flight per endpoint, each holding its place at most `maxWait` s.
    public init(window: Int, maxWait: Double) {
        self.window = max(0, window)
        self.maxWait = max(0, maxWait)
    }
}

/// Which links to start next: the pure part of `ConnectPacing`. Links are referred to by
/// their position in the list given to `init`; each is started exactly once, in list order
/// per endpoint.
public struct DialWindow: Sendable {
    /// The window and the longest a dial holds its place.
    public let pacing: ConnectPacing
    private let endpoints: [String]
    /// Links not started yet, per endpoint, in list order: `links[next...]`.
    private var waiting: [String: (links: [Int], next: Int)] = [:]
    /// Links started whose dial has not finished, and when they started.
    private var inFlight: [Int: Double] = [:]
    private var inFlightPerEndpoint: [String: Int] = [:]

    /// Every link of `endpoints` waiting to start.
    public init(pacing: ConnectPacing, endpoints: [String]) {
        self.pacing = pacing
        self.endpoints = endpoints
        for (index, endpoint) in endpoints.enumerated() {
            waiting[endpoint, default: ([], 0)].links.append(index)
        }
    }

    /// Whether every link has been started.
    public var isDone: Bool { waiting.isEmpty }

    /// Frees the places of dials older than `maxWait`, then returns the links to start now
    /// (at most `window` in flight per endpoint), in list order.
    public mutating func due(now: Double) -> [Int] {
        for (index, started) in inFlight where now - started >= pacing.maxWait {
            dialed(index)
        }
        var starting: [Int] = []
        for endpoint in waiting.keys {
            let room =
                pacing.window == 0
                ? Int.max : pacing.window - inFlightPerEndpoint[endpoint, default: 0]
            guard room > 0, var queue = waiting[endpoint] else { continue }
            let taken = queue.links[queue.next...].prefix(room)
            queue.next += taken.count
            waiting[endpoint] = queue.next == queue.links.count ? nil : queue
            for index in taken { inFlight[index] = now }
            inFlightPerEndpoint[endpoint, default: 0] += taken.count
            starting += taken
        }
        return starting.sorted()
    }

    /// Link `index` finished dialing (connected, or failed): its place is free. Links not in
    /// flight are ignored (a late report, or a place already freed by `maxWait`).
    public mutating func dialed(_ index: Int) {
        guard inFlight.removeValue(forKey: index) != nil else { return }
        inFlightPerEndpoint[endpoints[index], default: 1] -= 1
    }
}

/// A `DialWindow` shared by the links' event handlers and the session's pacing task.
final class SharedDialWindow: Sendable {
    let value: Mutex<DialWindow>
    init(_ window: DialWindow) { value = Mutex(window) }
}
