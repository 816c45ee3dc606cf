import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing
import UpmonApp
import Upnode

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `exec:` links to the real `upmon serve --stdio`, started by the link itself.
@Suite(
    "exec: links to upmon serve --stdio", .enabled(if: UpmonBinary.isAvailable),
    .timeLimit(.minutes(1)))
struct ExecLinkTests {
    /// The endpoint of a `upmon serve --stdio` child that first tells its pid on stderr
    /// (which the link turns into a `warning`), so the test can kill it and look for it.
    static var endpoint: Endpoint {
        .exec(arguments: [
            "/bin/sh", "-c", "echo \"pid $$\" >&2; exec \"$0\" serve --stdio", UpmonBinary.path,
        ])
    }

    /// The pids the children announced, in order.
    static func childPIDs(_ log: ClientLog) -> [pid_t] {
        log.events.value.compactMap { event in
            guard case .warning(let text) = event, let range = text.range(of: "': pid ") else {
                return nil
            }
            return pid_t(text[range.upperBound...])
        }
    }

    /// Whether `pid` is still a child of this process (running, or a zombie not yet reaped).
    static func isOurChild(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        return fields.count > 1 && pid_t(fields[1]) == getpid()
    }

    @Test(
        "upmon call 'exec:upmon serve --stdio' add 2 3 prints 5; serve --stdio prints nothing else")
    func callOverExec() throws {
        let directory = NSTemporaryDirectory() + "upmon-exec-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let out = directory + "/out"
        let status = try Spawn.run(
            UpmonBinary.path,
            ["call", "exec:'\(UpmonBinary.path)' serve --stdio", "add", "2", "3"],
            stdoutPath: out, stderrPath: directory + "/err")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(status == 0)
        #expect(text.hasPrefix("{\"n\":1,") && text.hasSuffix("\"args\":[5]}\n"))
    }

    @Test(
        "SIGKILL the child: the link goes down, comes back with a fresh child, and calls queued meanwhile are answered once; close leaves no child"
    )
    func childKilled() async throws {
        var configuration = LinkConfiguration()
        configuration.reconnect = .fixed(.milliseconds(300))
        let client = UpnodeClient(endpoint: Self.endpoint, configuration: configuration)
        let log = ClientLog(client)
        client.start()
        defer { client.close() }
        let sum = try await client.up(timeout: .seconds(20)) {
            try await $0.request("add", [.int(2), .int(3)])
        }
        #expect(sum.map(\.json) == [.int(5)])
        #expect(await eventually(timeout: .seconds(10)) { Self.childPIDs(log).count == 1 })
        let first = try #require(Self.childPIDs(log).first)
        #expect(Self.isOurChild(first))

        // Queued the moment the link goes down (the handler runs on the link's loop, as the
        // state changes): the link waits 300 ms before the next child, and each call must run
        // exactly once on the new child (`mark` counts per process: a second run would say 2).
        let answers = Locked<[String: [[JSONValue]]]>([:])
        let queued = Locked(false)
        client.addEventHandler { event in
            guard case .state(_, .down, .remoteClosed) = event,
                queued.withLock({ done in
                    defer { done = true }
                    return !done
                })
            else { return }
            for tag in ["a", "b", "c"] {
                client.whenUp(timeout: .seconds(20)) { remote in
                    let callback = DnodeValue.function { arguments in
                        answers.withLock { $0[tag, default: []].append(arguments.map(\.json)) }
                    }
                    try? remote.call("mark", [.string(tag), callback])
                }
            }
        }
        kill(first, SIGKILL)
        #expect(await eventually(timeout: .seconds(20)) { answers.value.count == 3 })
        // The event stream may lag the callbacks: wait for the queue's report.
        #expect(
            await eventually(timeout: .seconds(10)) {
                log.events.value.contains {
                    if case .queue(let stats) = $0 { stats.enqueued >= 3 } else { false }
                }
            })
        for tag in ["a", "b", "c"] {
            #expect(answers.value[tag] == [[.string(tag), .int(1)]])
        }
        #expect(await eventually(timeout: .seconds(10)) { log.ups == 2 })
        // The killed child was reaped and said how it ended; a fresh one serves now.
        #expect(
            await eventually(timeout: .seconds(10)) {
                log.events.value.contains(.warning("exec '/bin/sh': killed by signal 9"))
            })
        #expect(!Self.isOurChild(first))
        #expect(await eventually(timeout: .seconds(10)) { Self.childPIDs(log).count == 2 })
        let pids = Self.childPIDs(log)
        let second = try #require(pids.last)
        #expect(second != first && Self.isOurChild(second))

        client.close()
        #expect(await eventually(timeout: .seconds(10)) { !Self.isOurChild(second) })
    }

    @Test("upmon killed with SIGKILL leaves no exec: child behind (PR_SET_PDEATHSIG)")
    func parentCrash() async throws {
        let directory = NSTemporaryDirectory() + "upmon-exec-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pidFile = directory + "/pid"
        let upmon = try Spawn.start(
            UpmonBinary.path,
            [
                "call", "exec:sh -c 'echo $$ > \(pidFile); exec sleep 600'", "add", "2", "3",
            ])
        #expect(
            await eventually(timeout: .seconds(10)) {
                (try? String(contentsOfFile: pidFile, encoding: .utf8))?.hasSuffix("\n") == true
            })
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let child = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(upmon, SIGKILL)
        var status: Int32 = 0
        while waitpid(upmon, &status, 0) < 0 && errno == EINTR {}
        // The orphan gets SIGKILL from the kernel; gone, or a zombie its new parent reaps.
        #expect(await eventually(timeout: .seconds(10)) { Self.isGoneOrZombie(child) })
    }

    static func isGoneOrZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }
}

@Suite("exec: endpoints in the config and on the command line")
struct ExecEndpointConfigTests {
    @Test("endpoint = exec:… in a section, name=exec:… on the command line, errors name the line")
    func parsing() throws {
        let config = try UpmonConfig.parse(
            """
            [db]
            endpoint = exec:ssh -o 'ProxyJump=a b' bastion nc 10.0.0.5 7000   # via the bastion
            ping = 2s
            """, file: "upmon.conf")
        #expect(
            config.connections.first?.endpoint
                == .exec(arguments: [
                    "ssh", "-o", "ProxyJump=a b", "bastion", "nc", "10.0.0.5", "7000",
                ]))
        let spec = try ConnectionSpec(commandLine: "db=exec:upmon serve --stdio")
        #expect(spec.name == "db")
        #expect(spec.endpoint == .exec(arguments: ["upmon", "serve", "--stdio"]))
        #expect(try ConnectionSpec(commandLine: "exec:nc -q0 h 1").name == "exec:nc -q0 h 1")
        #expect {
            try UpmonConfig.parse("[x]\nendpoint = exec:ssh h | nc\n", file: "c.conf")
        } throws: { error in
            "\(error)".contains("c.conf:2") && "\(error)".contains("needs a shell")
        }
    }
}
