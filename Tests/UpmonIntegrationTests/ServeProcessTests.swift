import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing
import Upnode

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `upmon serve` as a user runs it: under service-lifecycle, with its line limit.
@Suite("upmon serve: shutdown and line limit", .timeLimit(.minutes(2)))
struct ServeProcessTests {
    /// `upmon serve --unix PATH` with `extra` arguments, once it listens.
    private func startServe(_ extra: [String] = []) async throws -> (InstalledRun, Endpoint) {
        let path = NSTemporaryDirectory() + "upmon-serve-\(UUID().uuidString.prefix(8)).sock"
        let run = try InstalledRun(["serve", "--unix", path] + extra)
        #expect(await eventually(timeout: .seconds(30)) { run.stdout.contains("listening on") })
        return (run, .unix(path: path))
    }

    @Test("SIGTERM: graceful shutdown ends the clients' links and exits 0")
    func gracefulShutdown() async throws {
        let (serve, endpoint) = try await startServe()
        var configuration = LinkConfiguration()
        configuration.reconnect = .never
        let client = UpnodeClient(endpoint: endpoint, configuration: configuration)
        client.start()
        defer { client.close() }
        let sum = try await client.up(timeout: .seconds(30)) {
            try await $0.request("add", [.int(2), .int(3)])
        }
        #expect(sum.first?.doubleValue == 5)

        kill(serve.process.processIdentifier, SIGTERM)
        #expect(await serve.exitCode() == 0, "stderr: \(serve.stderr)")
        #expect(serve.stdout.hasSuffix("stopped\n"), "\(serve.stdout)")
        #expect(await eventually(timeout: .seconds(30)) { await client.state != .up })
    }

    @Test("--max-line: a longer line drops that client, and the notice names --max-line")
    func maxLine() async throws {
        let (serve, endpoint) = try await startServe(["--max-line", "2KiB"])
        defer { kill(serve.process.processIdentifier, SIGTERM) }
        var configuration = LinkConfiguration()
        configuration.reconnect = .never
        let client = UpnodeClient(endpoint: endpoint, configuration: configuration)
        client.start()
        defer { client.close() }
        let small = try await client.up(timeout: .seconds(30)) {
            try await $0.request("echo", [.string(String(repeating: "x", count: 1000))])
        }
        #expect(small.first?.stringValue?.count == 1000)
        await #expect(throws: UpnodeError.linkLost(method: "echo")) {
            try await client.up {
                try await $0.request("echo", [.string(String(repeating: "x", count: 5000))])
            }
        }
        let notice =
            "(frame_too_long: the peer sent a line over the 2 KiB limit (raise --max-line))"
        #expect(
            await eventually(timeout: .seconds(30)) { serve.stdout.contains(notice) },
            "\(serve.stdout)")
    }

    @Test("--max-line refuses sizes it cannot take, saying which it can")
    func badMaxLine() async throws {
        for value in ["12", "2GiB", "lots"] {
            let run = try InstalledRun(["serve", "--port", "0", "--max-line", value])
            #expect(await run.exitCode() == 64, "\(value)")
            #expect(run.stderr.contains("is not a size from 1KiB to 1GiB"), "\(run.stderr)")
        }
    }
}
