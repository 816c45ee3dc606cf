import DnodeProtocol
import NIOCore
import NIOPosix
import Synchronization
import UpnodeMonitor
import UpnodeMonitorEndpoint

/// The links of other apps, read from their monitor endpoints (`upmon attach`): what
/// `LiveSession` runs instead of dialing when the links belong to someone else.
///
/// Each app's socket is read by its own task: header, snapshot, events, translated by an
/// `AttachTranslator` into upmon's ids and stamped by one `MonitorFeed`. When an app goes
/// away its rows go down (`detached`) and the task tries the socket again every second.
public final class AttachSession: Sendable {
    /// One app: its socket and translator.
    final class App: Sendable {
        let path: String
        let translator: Mutex<AttachTranslator>
        init(path: String, translator: AttachTranslator) {
            self.path = path
            self.translator = Mutex(translator)
        }
    }

    /// upmon's rows, every app's links in socket order.
    public let infos: [ConnectionInfo]
    /// The merged events of every app.
    public let feed: MonitorFeed
    let apps: [App]
    let retryDelay: Duration
    let tasks = Mutex<[Task<Void, Never>]>([])

    /// Attaches to the sockets at `paths` (a `unix:` prefix is allowed) and reads each
    /// app's header to learn its links. Throws `AttachError` when a socket cannot be read.
    public static func open(
        paths: [String], retryDelay: Duration = .seconds(1), timeout: Duration = .seconds(5)
    ) async throws(AttachError) -> AttachSession {
        let paths = paths.map(socketPath)
        var headers: [RecordingHeader] = []
        for path in paths {
            do {
                headers.append(try await readHeader(path: path, timeout: timeout))
            } catch let error as AttachError {
                throw error
            } catch {
                throw AttachError(path: path, text: "\(error)")
            }
        }
        let prefixes = appPrefixes(paths)
        var infos: [ConnectionInfo] = []
        var apps: [App] = []
        for (index, header) in headers.enumerated() {
            let rows = AttachTranslator.connections(
                of: header, firstIndex: infos.count, prefix: prefixes[index])
            var ids: [String: ConnectionID] = [:]
            for (link, row) in zip(header.connections, rows) where ids[link.name] == nil {
                ids[link.name] = row.id
            }
            infos += rows
            apps.append(App(path: paths[index], translator: AttachTranslator(localIDs: ids)))
        }
        return AttachSession(infos: infos, apps: apps, retryDelay: retryDelay)
    }

    init(infos: [ConnectionInfo], apps: [App], retryDelay: Duration) {
        self.infos = infos
        self.apps = apps
        self.retryDelay = retryDelay
        feed = MonitorFeed()
    }

    /// `unix:/path` or a plain path → the path.
    public static func socketPath(_ argument: String) -> String {
        argument.hasPrefix("unix:") ? String(argument.dropFirst(5)) : argument
    }

    /// Row-name prefixes: none for one app; the socket's file name without `.sock` for
    /// several (`billing.sock` → `billing`), numbered when two are the same.
    public static func appPrefixes(_ paths: [String]) -> [String?] {
        guard paths.count > 1 else { return paths.map { _ in nil } }
        let stems = paths.map { path -> String in
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return name.hasSuffix(".sock") ? String(name.dropLast(5)) : name
        }
        var seen: [String: Int] = [:]
        return stems.map { stem in
            let count = stems.filter { $0 == stem }.count
            guard count > 1 else { return stem }
            seen[stem, default: 0] += 1
            return "\(stem)\(seen[stem]!)"
        }
    }

    /// Starts reading every app.
    public func start() {
        let started = apps.map { app in
            Task { [feed, retryDelay] in await Self.follow(app, feed: feed, retryDelay: retryDelay)
            }
        }
        tasks.withLock { $0 += started }
    }

    /// Stops reading and ends the feed.
    public func close() async {
        let running = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
        feed.finish()
    }

    /// Reads one app until cancelled: attach, translate, and on loss mark its rows detached
    /// and try again after `retryDelay`.
    static func follow(_ app: App, feed: MonitorFeed, retryDelay: Duration) async {
        while !Task.isCancelled {
            let reason: String
            do {
                let ended = try await read(app, feed: feed)
                reason =
                    ended
                    ? "the app closed its monitor endpoint"
                    : "the app's monitor endpoint closed the connection"
            } catch {
                reason = "cannot read \(app.path): \(describe(error))"
            }
            if Task.isCancelled { break }
            let events = app.translator.withLock { $0.detach(because: reason) }
            for (conn, kind) in events { feed.emit(kind, conn: conn) }
            do { try await Task.sleep(for: retryDelay) } catch { break }
        }
    }

    /// One attach: reads lines until the socket closes. Returns whether the app said `end`.
    static func read(_ app: App, feed: MonitorFeed) async throws -> Bool {
        let channel = try await connect(app.path)
        return try await channel.executeThenClose { inbound, _ in
            var decoder: RecordingDecoder?
            var sawEnd = false
            for try await buffer in inbound {
                let line = Array(buffer.readableBytesView)
                guard let current = decoder else {
                    let header = try RecordingHeader(line: line, file: app.path)
                    decoder = RecordingDecoder(header: header)
                    let notes = app.translator.withLock { $0.attach(header) }
                    for note in notes { feed.emit(note, conn: nil) }
                    continue
                }
                guard let decoded = try? current.decode(line) else { continue }
                if case .event(let event) = decoded, case .end = event.kind { sawEnd = true }
                let events = app.translator.withLock { $0.translate(decoded) }
                for (conn, kind) in events { feed.emit(kind, conn: conn) }
            }
            return sawEnd
        }
    }

    /// The first line of the socket at `path`: the app's header.
    static func readHeader(path: String, timeout: Duration) async throws -> RecordingHeader {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await connect(path)
        } catch {
            throw AttachError(path: path, text: describe(error))
        }
        let deadline = channel.channel.eventLoop.scheduleTask(in: .init(timeout)) {
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        return try await channel.executeThenClose { inbound, _ in
            for try await buffer in inbound {
                do {
                    return try RecordingHeader(line: Array(buffer.readableBytesView), file: path)
                } catch {
                    throw AttachError(path: path, text: "not an upnode monitor endpoint (\(error))")
                }
            }
            throw AttachError(
                path: path, text: "the endpoint closed the connection before sending its header")
        }
    }

    static func connect(_ path: String) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineSplitter()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel)
                }
            }
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("No such file") || text.contains("ENOENT") {
            return "no such socket (is the app running with its monitor endpoint on?)"
        }
        if text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "nothing listens on it (a stale socket?)"
        }
        if text.contains("Permission denied") || text.contains("EACCES") {
            return "permission denied (only the socket's owner can attach)"
        }
        return text
    }
}

/// Why `upmon attach` could not read an app's socket.
public struct AttachError: Error, CustomStringConvertible, Equatable {
    /// The socket path.
    public let path: String
    /// What went wrong.
    public let text: String
    /// The error, naming the path.
    public var description: String { "cannot attach to \(path): \(text)" }
}

/// Splits a byte stream into lines without their `\n` (snapshots may be long: 64 MiB cap).
struct LineSplitter: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let maxLine = 64 << 20

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws
        -> DecodingState
    {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLine { throw AttachLineTooLong() }
            return .needMoreData
        }
        let length = end - buffer.readerIndex
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }
}

struct AttachLineTooLong: Error, CustomStringConvertible {
    var description: String { "a line over \(LineSplitter.maxLine >> 20) MiB" }
}
