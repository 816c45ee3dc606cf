import DnodeProtocol
import UpnodeMonitor

/// Where a tap's events go, and the clock they are timed by (the session's).
public struct TapSink: Sendable {
    /// Delivers one event for a connection (or session-wide with `nil`).
    public let emit: @Sendable (MonitorEvent.Kind, ConnectionID?) -> Void
    /// Seconds on the session time axis.
    public let now: @Sendable () -> Double

    /// A sink that calls `emit`, timed by `now`.
    public init(
        emit: @escaping @Sendable (MonitorEvent.Kind, ConnectionID?) -> Void,
        now: @escaping @Sendable () -> Double
    ) {
        self.emit = emit
        self.now = now
    }
}

/// Decodes one tapped connection on the side and turns what it sees into events.
///
/// Lives on the connection's event loop (both halves of a tapped connection share it), so
/// it needs no lock; it is never handed to another thread.
final class TapConnectionMonitor {
    let conn: ConnectionID
    let sink: TapSink
    private var decoder: TapDecoder
    private var splitters: [TapDirection: TapLineSplitter]
    private(set) var bytes: [TapDirection: Int] = [.c2s: 0, .s2c: 0]
    private var reportedTraffic = (0, 0, 0, 0)
    /// Problems reported per connection before they are only counted.
    static let maxProblemNotes = 20
    private var problemNotes = 0
    private var suppressedProblems = 0

    init(conn: ConnectionID, sink: TapSink, options: TapDecoder.Options, maxLineBytes: Int) {
        self.conn = conn
        self.sink = sink
        decoder = TapDecoder(options: options)
        splitters = [
            .c2s: TapLineSplitter(maxLineBytes: maxLineBytes),
            .s2c: TapLineSplitter(maxLineBytes: maxLineBytes),
        ]
    }

    /// Bytes read from one side, before they are forwarded.
    func observe(_ buffer: UnsafeRawBufferPointer, direction: TapDirection) {
        if bytes[direction, default: 0] == 0, Self.looksLikeTLS(buffer) {
            note(.warning, Self.tlsMismatch(direction))
        }
        bytes[direction, default: 0] += buffer.count
        let t = sink.now()
        let stillDecoding = splitters[direction]?.feed(buffer) { line in
            let observations = decoder.feed(line: line, direction: direction, t: t)
            for observation in observations { report(observation) }
        }
        if stillDecoding == false {
            note(
                .warning,
                "\(Self.words(direction)) sent a line over \(ByteCount.text(maxLineBytes)): "
                    + "no longer decoded that way; its bytes still pass")
        }
    }

    /// Calls past `unansweredAfter`, and the traffic totals when they changed.
    func tick() {
        for observation in decoder.expire(now: sink.now()) { report(observation) }
        reportTraffic()
    }

    /// `direction`'s sender closed its side (FIN).
    func ended(_ direction: TapDirection) {
        let left = splitters[direction]?.unterminatedBytes ?? 0
        if left > 0 {
            note(
                .warning,
                "\(Self.words(direction)) ended in the middle of a line (\(left) bytes without a newline)"
            )
        }
    }

    /// The tapped connection is gone: what was waiting is unanswered.
    func closed() {
        for observation in decoder.close(at: sink.now()) { report(observation) }
        reportTraffic()
    }

    private var maxLineBytes: Int { splitters[.c2s]?.maxLineBytes ?? 0 }

    private func lines(_ direction: TapDirection) -> Int { splitters[direction]?.lines ?? 0 }

    private func reportTraffic() {
        let now = (bytes[.c2s] ?? 0, bytes[.s2c] ?? 0, lines(.c2s), lines(.s2c))
        guard now != reportedTraffic else { return }
        reportedTraffic = now
        sink.emit(
            .tap(
                .traffic(bytesC2S: now.0, bytesS2C: now.1, linesC2S: now.2, linesS2C: now.3)),
            conn)
    }

    private func report(_ observation: TapDecoder.Observation) {
        switch observation {
        case .methods(let side, let names):
            if side == .server { sink.emit(.remoteMethods(names), conn) }
        case .call(let id, let method, let caller, let args, let awaits):
            sink.emit(
                .tap(
                    .call(id: "\(id)", method: method, caller: caller, args: args, awaits: awaits)),
                conn)
        case .result(
            let id, let method, let caller, let n, let ok, let durMs, let payload, let late):
            sink.emit(
                .tap(
                    .result(
                        id: "\(id)", method: method, caller: caller, n: n, ok: ok, durMs: durMs,
                        late: late, payload: payload)), conn)
        case .unanswered(let id, let method, let caller, let afterMs, let reason):
            sink.emit(
                .tap(
                    .unanswered(
                        id: "\(id)", method: method, caller: caller, afterMs: afterMs,
                        reason: reason)), conn)
        case .problem(let problem):
            guard problemNotes < Self.maxProblemNotes else {
                suppressedProblems += 1
                return
            }
            problemNotes += 1
            let more =
                problemNotes == Self.maxProblemNotes ? " (further problems only counted)" : ""
            note(
                .warning,
                "\(problem.code) line from \(Self.words(problem.direction)), forwarded as it came: "
                    + problem.text + more)
        }
    }

    func note(_ level: NoteLevel, _ text: String) {
        sink.emit(.note(level: level, text: text), conn)
    }

    /// A TLS record (handshake or alert, version 3.x) where a dnode line starts with `{` or
    /// blanks: the side speaks TLS to a side of the tap that does not.
    static func looksLikeTLS(_ buffer: UnsafeRawBufferPointer) -> Bool {
        buffer.count >= 3 && (buffer[0] == 0x16 || buffer[0] == 0x15) && buffer[1] == 0x03
            && buffer[2] <= 0x04
    }

    static func tlsMismatch(_ direction: TapDirection) -> String {
        direction == .c2s
            ? "the client speaks TLS to a listener without it: its bytes pass undecoded"
                + " (listen on tls://host:port with a certificate to decode them)"
            : "the server answers in TLS to a connection without it"
                + " (the target is tls://host:port)"
    }

    static func words(_ direction: TapDirection) -> String {
        direction == .c2s ? "the client" : "the server"
    }
}

/// Byte counts for people.
enum ByteCount {
    /// `16 MiB`, `512 KiB`, `100 bytes`.
    static func text(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
