import DnodeProtocol
import Foundation
import NIOCore
import NIOPosix
import Upnode

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `upmon-bench __serve`: a upnode server for the memory case, in its own process so that
/// only the client side is counted. Prints the port, exits when stdin closes.
func serveChild() async throws -> Never {
    raiseFileLimit()
    var options = UpnodeServer.Options()
    options.pingInterval = .zero
    let server = try await UpnodeServer.listen(
        .tcp(host: "127.0.0.1", port: 0), options: options, methods: echoMethods)
    guard case .tcp(_, let port) = server.boundEndpoint else { exit(1) }
    print("PORT \(port)")
    fflush(nil)
    while readLine() != nil {}
    exit(0)
}

/// Runs every memory measurement in a fresh child process (`__memory kind n`), so that heap
/// freed by earlier cases or measurements cannot hide what the links cost.
func memoryCase() async throws {
    let fdLimit = raiseFileLimit()
    let counts = [1_000, 10_000].filter { $0 + 300 <= fdLimit }
    print(
        "memory — RSS per idle link, each figure from a fresh client process (server in another process; fd limit \(fdLimit))"
    )
    func measure(_ kind: String, _ n: Int) throws -> Double {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: selfExecutable())
        child.arguments = ["__memory", kind, String(n)]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n") {
            if line.hasPrefix("RESULT ") { return Double(line.dropFirst(7)) ?? .nan }
            print(line)
        }
        return .nan
    }
    for n in counts {
        let raw = try measure("raw", n) / 1024
        let link = try measure("upnode", n) / 1024
        report(
            "memory", "RSS per idle link at \(fmt(Double(n))) links", value: "\(fmt(link, 1)) KB",
            baseline: "\(fmt(raw, 1)) KB raw NIO connection; Node 37–50 KB",
            ratio: "\(fmt(link / max(raw, 0.1), 1))× raw, \(fmt(link / 43.5, 2))× Node",
            target: n >= 10_000 ? "≤ 6 KB (issue 16)" : "≤ 10 KB",
            pass: link <= (n >= 10_000 ? 6 : 10))
    }
    if counts.count < 2 { note("10,000 links skipped: fd limit \(fdLimit)") }
    let sleeper = try measure("sleeping-task", 10_000)
    let consumer = try measure("stream-consumer", 10_000)
    note(
        "parts, RSS each (10,000 in a fresh process): a Task in Task.sleep \(fmt(sleeper)) B; an AsyncStream + Task in for-await \(fmt(consumer)) B"
    )
}

#if os(Linux)
    /// glibc's malloc_trim: return freed heap pages to the kernel before an RSS reading.
    @_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32
#else
    /// Elsewhere there is no such call; the reading includes what the allocator keeps.
    func mallocTrim(_ pad: Int) -> Int32 { 0 }
#endif

/// `upmon-bench __memory kind n`: one memory measurement; prints `RESULT bytes-per-item`.
func memoryChild(kind: String, count n: Int) async throws -> Never {
    raiseFileLimit()
    func settle() async throws {
        try await Task.sleep(for: .seconds(1))
        _ = mallocTrim(0)
    }
    if kind == "sleeping-task" || kind == "stream-consumer" {
        // warm-up: the cooperative pool and timer machinery exist before the reading
        let warm = (0..<10).map { _ in Task { try? await Task.sleep(for: .seconds(60)) } }
        try await settle()
        let before = residentBytes()
        var keep: [Any] = []
        if kind == "sleeping-task" {
            keep = (0..<n).map { _ in Task { try? await Task.sleep(for: .seconds(60)) } }
        } else {
            for _ in 0..<n {
                let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
                keep.append(continuation)
                keep.append(Task { for await _ in stream {} })
            }
        }
        try await settle()
        print("RESULT \(Double(residentBytes() - before) / Double(n))")
        blackHole(keep.count + warm.count)
        exit(0)
    }
    let server = Process()
    server.executableURL = URL(fileURLWithPath: selfExecutable())
    server.arguments = ["__serve"]
    let toServer = Pipe()
    let fromServer = Pipe()
    server.standardInput = toServer
    server.standardOutput = fromServer
    try server.run()
    var portLine = Data()
    while !portLine.contains(0x0A) {
        let chunk = fromServer.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        portLine.append(chunk)
    }
    guard let text = String(data: portLine, encoding: .utf8),
        let port = Int(text.dropFirst(5).prefix { $0.isNumber })
    else {
        print("    · server child failed to start")
        exit(1)
    }
    let endpoint = Endpoint.tcp(host: "127.0.0.1", port: port)
    var configuration = LinkConfiguration()
    configuration.pingInterval = .seconds(10)  // upnode's default heartbeat, idle otherwise

    func openLinks(_ n: Int) async throws -> [UpnodeClient] {
        var clients: [UpnodeClient] = []
        clients.reserveCapacity(n)
        var opened = 0
        while opened < n {
            let batch = min(200, n - opened)
            let fresh = (0..<batch).map { _ in
                UpnodeClient(endpoint: endpoint, configuration: configuration)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in fresh {
                    group.addTask {
                        client.start()
                        _ = try await client.up(timeout: .seconds(30)) { remote in
                            try await remote.request("echo", [.int(1)])
                        }
                    }
                }
                try await group.waitForAll()
            }
            clients += fresh
            opened += batch
        }
        return clients
    }
    /// Raw NIO connections with one idle handler: the floor any NIO-based link pays.
    func openRaw(_ n: Int) async throws -> [any Channel] {
        var channels: [any Channel] = []
        channels.reserveCapacity(n)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawEchoServerHandler())
                }
            }
        var opened = 0
        while opened < n {
            let batch = min(200, n - opened)
            let futures = (0..<batch).map { _ in bootstrap.connect(host: "127.0.0.1", port: port) }
            for future in futures { channels.append(try await future.get()) }
            opened += batch
        }
        return channels
    }
    // Warm-up links stay open so that nothing freed is reused by the measured ones.
    var keep: [Any] = []
    if kind == "raw" {
        keep = try await openRaw(20)
    } else {
        keep = try await openLinks(20)
    }
    try await settle()
    let before = residentBytes()
    let t0 = now()
    if kind == "raw" {
        keep += try await openRaw(n)
    } else {
        keep += try await openLinks(n)
    }
    let opened = now() - t0
    try await settle()
    let after = residentBytes()
    print(
        "    · \(kind): \(fmt(Double(n))) links up in \(fmt(opened, 2)) s; RSS \(fmt(Double(before) / 1_048_576, 1)) → \(fmt(Double(after) / 1_048_576, 1)) MiB"
    )
    print("RESULT \(Double(after - before) / Double(n))")
    fflush(nil)
    blackHole(keep.count)
    try? toServer.fileHandleForWriting.close()
    server.waitUntilExit()
    exit(0)
}

/// This program's path for child processes (argv[0] when absolute, so that it also works under valgrind).
func selfExecutable() -> String {
    let first = CommandLine.arguments[0]
    return first.hasPrefix("/") ? first : "/proc/self/exe"
}
