import CUpnodeSpawn
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The command of one `exec:` connection attempt: started on the link's event loop, its stdin
/// and stdout the dnode channel, its stderr lines `warning`s. When the dnode channel closes it
/// gets SIGTERM, SIGKILL after `gracePeriod`, and is reaped; on Linux it also gets SIGKILL if
/// the thread that started it ends (a crashed process leaves no child behind).
final class ExecChild: Sendable {
    let pid: pid_t
    /// The command as given (`ssh`), for log lines.
    let name: String
    let eventLoop: any EventLoop
    let warn: @Sendable (String) -> Void
    let state = Mutex(State())

    struct State {
        var terminating = false
        /// The signals this side sent: an end by one of them is not news.
        var sent: Set<CInt> = []
        var reaped = false
        var stderrChannel: (any Channel)?
    }

    /// How long a child may take to exit after SIGTERM before it gets SIGKILL.
    static let gracePeriod: Duration = .seconds(2)

    /// The three pipe ends this side keeps; nothing owns them yet.
    struct Pipes {
        let stdin: CInt
        let stdout: CInt
        let stderr: CInt

        func closeDnodeEnds() {
            close(stdin)
            close(stdout)
        }
    }

    /// Why a command could not start, worded for a link's down reason.
    struct StartFailure: Error {
        let reason: String
    }

    init(
        pid: pid_t, name: String, eventLoop: any EventLoop,
        warn: @escaping @Sendable (String) -> Void
    ) {
        self.pid = pid
        self.name = name
        self.eventLoop = eventLoop
        self.warn = warn
    }

    /// Starts `arguments` (the first is looked up in `PATH`). Call it on `eventLoop`: the
    /// parent-death signal is tied to the thread that forks, and a loop thread lives as long as
    /// its links.
    static func start(
        arguments: [String], eventLoop: any EventLoop, warn: @escaping @Sendable (String) -> Void
    ) throws(StartFailure) -> (ExecChild, Pipes) {
        let name = arguments.first ?? ""
        let environmentPath = getenv("PATH").map { String(cString: $0) }
        guard let path = resolve(name, searchPath: environmentPath) else {
            throw StartFailure(reason: "exec: '\(Endpoint.shown(name))': no such command")
        }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        var stdinFD: CInt = -1
        var stdoutFD: CInt = -1
        var stderrFD: CInt = -1
        #if os(Linux)
            let deathSignal = SIGKILL
        #else
            let deathSignal: CInt = 0
        #endif
        let result = argv.withUnsafeBufferPointer { argvPointer in
            cus_spawn(
                path, argvPointer.baseAddress, environ, deathSignal, &pid, &stdinFD, &stdoutFD,
                &stderrFD)
        }
        guard result == 0 else {
            let text =
                result == ENOENT
                ? "no such command" : String(cString: strerror(result)).lowercased()
            throw StartFailure(reason: "exec: '\(Endpoint.shown(name))': \(text)")
        }
        let child = ExecChild(pid: pid, name: name, eventLoop: eventLoop, warn: warn)
        return (child, Pipes(stdin: stdinFD, stdout: stdoutFD, stderr: stderrFD))
    }

    /// The executable `name` runs: itself when it has a `/`, else the first executable regular
    /// file of that name in `searchPath` (an empty entry is the current directory).
    static func resolve(_ name: String, searchPath: String?) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return name }
        let directories = (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(
            separator: ":", omittingEmptySubsequences: false)
        for directory in directories {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var info = stat()
            guard stat(candidate, &info) == 0, (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG),
                access(candidate, X_OK) == 0
            else { continue }
            return candidate
        }
        return nil
    }

    /// Reads the child's stderr into `warning`s (bounded: see `StderrLines`). Takes `fd`.
    func readStderr(_ fd: CInt) {
        guard let bootstrap = NIOPipeBootstrap(validatingGroup: eventLoop) else {
            close(fd)
            return
        }
        let name = self.name
        let warn = self.warn
        bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    StderrLogHandler(name: name, warn: warn))
            }
        }
        .takingOwnershipOfDescriptor(input: fd)
        .whenComplete { result in
            switch result {
            case .success(let channel):
                let isReaped = self.state.withLock { state in
                    state.stderrChannel = channel
                    return state.reaped
                }
                if isReaped { channel.close(promise: nil) }
            case .failure:
                close(fd)  // still ours when the bootstrap failed
            }
        }
    }

    /// Ends the child: SIGTERM, SIGKILL after `gracePeriod`, reaped. Idempotent; any thread.
    func terminate() {
        let first = state.withLock { state in
            defer { state.terminating = true }
            return !state.terminating
        }
        guard first else { return }
        eventLoop.execute {
            if let status = self.reap() { return self.finish(status) }
            self.signal(SIGTERM)
            self.poll(after: .milliseconds(5), waited: .zero, killed: false)
        }
    }

    /// Polls for the exit with a growing delay (a handful of checks per child, bounded).
    private func poll(after delay: Duration, waited: Duration, killed: Bool) {
        let nanoseconds = Int64(delay.milliseconds * 1_000_000)
        eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
            if let status = self.reap() { return self.finish(status) }
            let waited = waited + delay
            var killed = killed
            if !killed, waited >= Self.gracePeriod {
                self.signal(SIGKILL)
                killed = true
            }
            self.poll(after: min(delay * 2, .milliseconds(200)), waited: waited, killed: killed)
        }
    }

    /// The wait status once the child has exited (and is now reaped; -1: reaped elsewhere),
    /// nil while it runs.
    private func reap() -> CInt? {
        var status: CInt = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return status }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            return -1  // ECHILD: reaped elsewhere (SIGCHLD ignored); its status is unknown
        }
    }

    /// Only ever before the child is reaped: its pid cannot have been reused yet.
    private func signal(_ number: CInt) {
        state.withLock { _ = $0.sent.insert(number) }
        kill(pid, number)
    }

    /// Reaped: the stderr reader ends, and an end this side did not cause is reported.
    private func finish(_ status: CInt) {
        let (stderrChannel, sent) = state.withLock { state in
            state.reaped = true
            return (state.stderrChannel, state.sent)
        }
        stderrChannel?.close(promise: nil)
        // Reported only when it ended by itself, or by a signal this side did not send.
        let signal = status & 0x7F
        if status != -1, sent.isEmpty || (signal != 0 && !sent.contains(signal)) {
            warn("exec '\(Endpoint.shown(name))': \(Self.describe(status: status))")
        }
    }

    static func describe(status: CInt) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "killed by signal \(signal)"
    }
}

/// Turns a child's stderr into `warning`s, through `StderrLines`.
final class StderrLogHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let name: String
    let warn: @Sendable (String) -> Void
    var lines = StderrLines()
    let origin = ContinuousClock.now

    init(name: String, warn: @escaping @Sendable (String) -> Void) {
        self.name = name
        self.warn = warn
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        emit(lines.feed(buffer.readableBytesView, now: ContinuousClock.now - origin))
    }

    func channelInactive(context: ChannelHandlerContext) {
        emit(lines.finish())
        context.fireChannelInactive()
    }

    private func emit(_ texts: [String]) {
        for text in texts { warn("exec '\(Endpoint.shown(name))': \(text)") }
    }
}

/// Splits a child's stderr into lines with bounded memory and a rate limit: a line keeps its
/// first `maxLineBytes` bytes, and at most `linesPerWindow` lines go out per `window` (the rest
/// are counted and reported as one line), so a chatty or hostile command cannot flood the log.
struct StderrLines: Sendable {
    static let maxLineBytes = 512
    static let linesPerWindow = 20
    static let window: Duration = .seconds(1)

    private var current: [UInt8] = []
    private var truncated = false
    private var windowStart: Duration?
    private var sentInWindow = 0
    private var suppressed = 0

    init() {}

    /// Lines completed by `bytes`, as they may go out at `now`.
    mutating func feed(_ bytes: some Sequence<UInt8>, now: Duration) -> [String] {
        var out: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                complete(now: now, into: &out)
            } else if current.count < Self.maxLineBytes {
                current.append(byte)
            } else {
                truncated = true
            }
        }
        return out
    }

    /// At end of stream: the unfinished last line and the count of lines held back.
    mutating func finish() -> [String] {
        var out: [String] = []
        if !current.isEmpty { complete(now: nil, into: &out) }
        if suppressed > 0 { out.append("(\(suppressed) more stderr lines not shown)") }
        suppressed = 0
        return out
    }

    private mutating func complete(now: Duration?, into out: inout [String]) {
        defer {
            current.removeAll(keepingCapacity: true)
            truncated = false
        }
        if current.last == UInt8(ascii: "\r") { current.removeLast() }
        guard !current.isEmpty else { return }
        if let now, windowStart.map({ now - $0 >= Self.window }) ?? true {
            if suppressed > 0 { out.append("(\(suppressed) more stderr lines not shown)") }
            windowStart = now
            sentInWindow = 0
            suppressed = 0
        }
        guard sentInWindow < Self.linesPerWindow else {
            suppressed += 1
            return
        }
        sentInWindow += 1
        // Control bytes would reach terminals and logs: shown as U+FFFD.
        let text = String(decoding: current, as: UTF8.self).unicodeScalars.map { scalar in
            (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F ? "\u{FFFD}" : scalar
        }
        var line = String(String.UnicodeScalarView(text))
        if truncated { line += "…" }
        out.append(line)
    }
}
