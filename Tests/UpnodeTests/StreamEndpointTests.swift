import DnodeProtocol
import Foundation
import NIOCore
import NIOPosix
import ProcessTestSupport
import Testing
import UpnodeServe

@testable import Upnode

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Any stream: exec: endpoints, channel factories, serve(channel:)")
struct StreamEndpointParsingTests {
    @Test("exec: splits words like a shell for simple quoting")
    func execWords() throws {
        #expect(
            try Endpoint(parsing: "exec:ssh bastion nc 10.0.0.5 7000")
                == .exec(arguments: ["ssh", "bastion", "nc", "10.0.0.5", "7000"]))
        #expect(
            try Endpoint(parsing: #"exec:  sh -c 'echo "$HOME" | cat'  x\ y "a \"b\" \$c" "#)
                == .exec(arguments: ["sh", "-c", #"echo "$HOME" | cat"#, "x y", #"a "b" $c"#]))
        #expect(try Endpoint(parsing: "exec:a ''") == .exec(arguments: ["a", ""]))
    }

    @Test("exec: refuses what needs a shell, an open quote and an empty command")
    func execRefusals() {
        for (text, words) in [
            ("exec:ssh host | nc", "'|' needs a shell"),
            ("exec:echo $HOME", "'$' needs a shell"),
            ("exec:cat > file", "'>' needs a shell"),
            ("exec:ssh 'bastion", "unterminated quote"),
            ("exec:", "has no command"),
            ("exec:   ", "has no command"),
        ] {
            #expect {
                try Endpoint(parsing: text)
            } throws: { error in
                guard case .badEndpoint(let message) = error as? UpnodeError else { return false }
                return message.contains(words)
            }
        }
    }

    @Test("exec: normalizes to a form that parses back to the same words")
    func execRoundTrip() throws {
        let endpoint = Endpoint.exec(arguments: ["ssh", "-o", "ProxyJump=a b", "it's", "", "x"])
        #expect(endpoint.normalized == #"exec:ssh -o 'ProxyJump=a b' 'it'\''s' '' x"#)
        #expect(try Endpoint(parsing: endpoint.normalized) == endpoint)
        #expect(endpoint.description == endpoint.normalized)
    }

    @Test("a channel factory is its own endpoint, named channel:name")
    func channelIdentity() {
        let make: @Sendable (any EventLoop) async throws -> any Channel = { _ in
            throw CancellationError()
        }
        let one = ChannelFactory(name: "relay", makeChannel: make)
        let other = ChannelFactory(name: "relay", makeChannel: make)
        #expect(Endpoint.channel(one) == .channel(one))
        #expect(Endpoint.channel(one) != .channel(other))
        #expect(Endpoint.channel(one).normalized == "channel:relay")
    }

    @Test("the command is found in PATH, only as an executable regular file")
    func resolve() {
        #expect(ExecChild.resolve("sh", searchPath: "/nonexistent:/bin:/usr/bin") != nil)
        #expect(ExecChild.resolve("sh", searchPath: "/nonexistent") == nil)
        #expect(ExecChild.resolve("tmp", searchPath: "/") == nil)  // a directory
        #expect(ExecChild.resolve("./x", searchPath: "/") == "./x")  // has a '/': as given
        #expect(ExecChild.resolve("", searchPath: "/bin") == nil)
    }
}

@Suite("exec: stderr lines are bounded and rate-limited")
struct StderrLinesTests {
    @Test("lines split at newlines, CR and control bytes cleaned, a long line cut")
    func lines() {
        var lines = StderrLines()
        #expect(lines.feed(Array("one\r\ntw".utf8), now: .zero) == ["one"])
        #expect(
            lines.feed(Array("o\n\n\u{1B}[31mred\n".utf8), now: .zero) == [
                "two", "\u{FFFD}[31mred",
            ])
        let long = Array(repeating: UInt8(ascii: "x"), count: 10_000)
        #expect(
            lines.feed(long + [10], now: .zero)
                == [String(repeating: "x", count: StderrLines.maxLineBytes) + "…"])
        #expect(lines.feed(Array("tail".utf8), now: .zero) == [])
        #expect(lines.finish() == ["tail"])
    }

    @Test("past linesPerWindow in a window the rest is counted, and reported once")
    func rateLimit() {
        var lines = StderrLines()
        let burst = Array(String(repeating: "spam\n", count: 1000).utf8)
        let first = lines.feed(burst, now: .zero)
        #expect(first.count == StderrLines.linesPerWindow)
        let later = lines.feed(Array("calm\n".utf8), now: StderrLines.window)
        #expect(
            later == ["(\(1000 - StderrLines.linesPerWindow) more stderr lines not shown)", "calm"])
        #expect(lines.finish() == [])
    }
}

@Suite("Any stream: links over exec: and custom channels", .timeLimit(.minutes(1)))
struct StreamLinkTests {
    @Test(
        "a channel factory (a socket pair served by serve(channel:)) is dialed again on reconnect")
    func channelFactory() async throws {
        let served = Locked<[any Channel]>([])
        let factory = ChannelFactory(name: "socketpair") { eventLoop in
            var fds: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
                throw IOError(errnoCode: errno, reason: "socketpair")
            }
            let serverSide = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .withConnectedSocket(fds[1]).get()
            try await UpnodeServer.serve(
                channel: serverSide, methods: ServeMethods(options: .init()).factory)
            served.withLock { $0.append(serverSide) }
            return try await ClientBootstrap(group: eventLoop).withConnectedSocket(fds[0]).get()
        }
        let client = UpnodeClient(endpoint: .channel(factory), configuration: testConfiguration())
        let log = EventLog(client)
        client.start()
        defer { client.close() }
        let sum = try await client.up(timeout: upGuard) {
            try await $0.request("add", [.int(2), .int(3)])
        }
        #expect(sum.json == [.int(5)])

        // The server side hangs up: the link goes down and the factory makes a new pair.
        try await served.value[0].close()
        #expect(await eventually { log.reasons(to: .down).count == 1 })
        let again = try await client.up(timeout: upGuard) {
            try await $0.request("mark", [.string("after")])
        }
        #expect(again.json == [.string("after"), .int(1)])
        #expect(served.value.count == 2)
        // Closed (or reset, with a ping unread) by the server side: down once, then up again.
        #expect(log.reasons(to: .down).count == 1)
        #expect(await eventually { log.upCount == 2 })
    }

    @Test("a channel made on another event loop is refused with a reason")
    func channelOnWrongLoop() async throws {
        let other = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let factory = ChannelFactory(name: "elsewhere") { _ in
            var fds: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
                throw IOError(errnoCode: errno, reason: "socketpair")
            }
            close(fds[1])
            return try await ClientBootstrap(group: other).withConnectedSocket(fds[0]).get()
        }
        let client = UpnodeClient(endpoint: .channel(factory), configuration: testConfiguration())
        let log = EventLog(client)
        client.start()
        #expect(
            await eventually {
                log.reasons(to: .down).contains {
                    $0.detail?.contains("on the event loop it is given") == true
                }
            })
        client.close()
        #expect(await eventually { log.states.last == .closed })
        try await other.shutdownGracefully()
    }

    @Test("a missing command: a clear reason, and retries wait out the backoff (no busy loop)")
    func missingCommand() async throws {
        var configuration = testConfiguration()
        configuration.reconnect = ReconnectPolicy(
            .exponential(
                initial: .milliseconds(20), multiplier: 2, jitter: 0, maximum: .milliseconds(160)))
        let client = UpnodeClient(
            endpoint: try Endpoint(parsing: "exec:nosuch-upmon-test-command --flag"),
            configuration: configuration)
        let log = EventLog(client)
        let started = ContinuousClock.now
        client.start()
        defer { client.close() }
        #expect(await eventually { log.reasons(to: .down).count >= 4 })
        let elapsed = ContinuousClock.now - started
        let reasons = log.reasons(to: .down)
        #expect(
            reasons.allSatisfy {
                $0 == .refused("exec: 'nosuch-upmon-test-command': no such command")
            })
        let delays = log.events.withLock { events in
            events.compactMap { event -> Duration? in
                if case .reconnectScheduled(_, let delay) = event { delay } else { nil }
            }
        }
        // Each retry waited for its timer: 4 failures took at least the 3 delays between them.
        #expect(delays.count >= 3)
        #expect(
            Array(delays.prefix(3)) == [.milliseconds(20), .milliseconds(40), .milliseconds(80)])
        #expect(elapsed >= .milliseconds(140))
    }

    @Test("exec: a command that is not executable says so")
    func notExecutable() async throws {
        let directory = try temporaryDirectory()
        let script = directory + "/not-executable"
        try "#!/bin/sh\n".write(toFile: script, atomically: true, encoding: .utf8)
        let client = UpnodeClient(
            endpoint: .exec(arguments: [script]), configuration: testConfiguration())
        let log = EventLog(client)
        client.start()
        defer { client.close() }
        #expect(
            await eventually {
                log.reasons(to: .down).first
                    == .refused("exec: '\(Endpoint.shown(script))': permission denied")
            })
    }
}
