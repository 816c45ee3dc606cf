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

/// The real `upmon tap` between a client and the real `upmon serve`.
@Suite(
    "upmon tap: headless, --json and --metrics", .enabled(if: UpmonBinary.isAvailable),
    .serialized, .timeLimit(.minutes(2)))
struct TapProcessTests {
    @Test(
        "calls through upmon tap show in --json call by call; promtool check metrics passes on a scrape with the per-method histograms"
    )
    func jsonAndMetrics() async throws {
        let promtool = try PrometheusTool.require("promtool")
        let directory = NSTemporaryDirectory() + "upmon-tap-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/s.sock"
        let serve = try TestProcess(UpmonBinary.path, ["serve", "--unix", socket, "--quiet"])
        defer { serve.terminate() }
        #expect(
            await poll(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: socket) })

        // A port picked by binding port 0 can be taken before upmon binds it: retry then.
        var started: (InstalledRun, String, Int)?
        for _ in 1...3 {
            let address = "127.0.0.1:\(try freeLoopbackPort())"
            let run = try InstalledRun(
                ["tap", "--json", "--metrics", address, "127.0.0.1:0", "unix:" + socket])
            _ = await poll(timeout: .seconds(30)) {
                !run.process.isRunning || Self.listeningPort(run.stdout) != nil
            }
            if run.process.isRunning, let port = Self.listeningPort(run.stdout) {
                started = (run, address, port)
                break
            }
        }
        let (tap, address, port) = try #require(started, "upmon tap never listened")

        var configuration = LinkConfiguration()
        configuration.pingInterval = .zero
        configuration.reconnect = .never
        let client = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: port), configuration: configuration)
        client.start()
        for index in 0..<5 {
            let sum = try await client.up(timeout: .seconds(30)) {
                try await $0.request("add", [.int(Int64(index)), .int(1)])
            }
            #expect(sum.first?.json == .int(Int64(index + 1)))
        }
        for _ in 0..<2 { _ = try await client.up { try await $0.request("fail") } }
        client.close()
        #expect(
            await poll(timeout: .seconds(30)) {
                tap.stdout.contains(#""conn":"c1.1","from":"up","to":"closed""#)
            })
        let lines = tap.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.filter { $0.contains(#""kind":"tap_call""#) && $0.contains(#""method":"add""#) }
                .count == 5)
        #expect(
            lines.filter {
                $0.contains(#""kind":"tap_result""#) && $0.contains(#""method":"fail""#)
                    && $0.contains(#""ok":false"#)
            }.count == 2)

        let body = try await httpGet(address, path: "/metrics")
        let labels = #"conn="tap#1",method="add",caller="client""#
        #expect(body.contains("upmon_tap_calls_total{\(labels)} 5\n"), "\(body)")
        #expect(body.contains("upmon_tap_call_duration_seconds_count{\(labels)} 5\n"))
        #expect(
            body.contains(#"upmon_tap_errors_total{conn="tap#1",method="fail",caller="client"} 2"#))
        let (status, output) = try await PrometheusTool.run(
            promtool, ["check", "metrics"], stdin: body, directory: directory)
        #expect(status == 0, "promtool check metrics exit \(status):\n\(output)")
        #expect(output.isEmpty, "promtool check metrics reported:\n\(output)")

        kill(tap.process.processIdentifier, SIGTERM)
        #expect(await tap.exitCode() == 0, "stderr: \(tap.stderr)")
        #expect(tap.stdout.hasSuffix("\n"))
        #expect(tap.stdout.split(separator: "\n").last?.contains(#""kind":"end""#) == true)
    }

    @Test("upmon tap refuses a LISTEN without a TARGET and a target it cannot dial")
    func usage() async throws {
        let odd = try await InstalledRun.run(["tap", "127.0.0.1:0"])
        #expect(odd.code == 64)
        #expect(odd.stderr.contains("LISTEN TARGET pairs"))
        let exec = try await InstalledRun.run(["tap", "127.0.0.1:0", "exec:cat"])
        #expect(exec.code == 64)
        #expect(exec.stderr.contains("must be host:port or unix:/path"))
    }

    /// The port in `listening on tcp://127.0.0.1:PORT` of the tap's first state line.
    static func listeningPort(_ stdout: String) -> Int? {
        guard let range = stdout.range(of: "listening on tcp://127.0.0.1:") else { return nil }
        return Int(stdout[range.upperBound...].prefix { $0.isNumber })
    }
}
