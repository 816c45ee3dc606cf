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
            await eventually(timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: socket)
            })

        // A port picked by binding port 0 can be taken before upmon binds it: retry then.
        var started: (InstalledRun, String, Int)?
        for _ in 1...3 {
            let address = "127.0.0.1:\(try freeLoopbackPort())"
            let run = try InstalledRun(
                ["tap", "--json", "--metrics", address, "127.0.0.1:0", "unix:" + socket])
            _ = await eventually(timeout: .seconds(30)) {
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
            await eventually(timeout: .seconds(30)) {
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
        #expect(exec.stderr.contains("must be host:port, tls://host:port or unix:/path"))
    }

    @Test(
        "a config link with tap =: upmon --json runs the tap, and calls through it show as tap_call and tap_result"
    )
    func configTap() async throws {
        let directory = NSTemporaryDirectory() + "upmon-ctap-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/s.sock"
        let tapSocket = directory + "/t.sock"
        let serve = try TestProcess(UpmonBinary.path, ["serve", "--unix", socket, "--quiet"])
        defer { serve.terminate() }
        #expect(
            await eventually(timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: socket)
            })
        let config = directory + "/upmon.conf"
        try "[api]\nendpoint = unix:\(socket)\ntap = unix:\(tapSocket)\n".write(
            toFile: config, atomically: true, encoding: .utf8)

        let run = try InstalledRun(["--json", "--config", config])
        #expect(
            await eventually(timeout: .seconds(30)) {
                run.stdout.contains("listening on unix:\(tapSocket)")
            }, "stderr: \(run.stderr)")
        var configuration = LinkConfiguration()
        configuration.pingInterval = .zero
        configuration.reconnect = .never
        let client = UpnodeClient(endpoint: .unix(path: tapSocket), configuration: configuration)
        client.start()
        for index in 0..<3 {
            let sum = try await client.up(timeout: .seconds(30)) {
                try await $0.request("add", [.int(Int64(index)), .int(1)])
            }
            #expect(sum.first?.json == .int(Int64(index + 1)))
        }
        _ = try await client.up { try await $0.request("fail") }
        client.close()
        #expect(
            await eventually(timeout: .seconds(30)) {
                run.stdout.contains(#""conn":"c2.1","from":"up","to":"closed""#)
            })
        let lines = run.stdout.split(separator: "\n").map(String.init)
        // The header lists the link and, after it, its tap.
        #expect(lines.first?.contains(#""name":"api-tap""#) == true)
        #expect(
            lines.filter {
                $0.contains(#""kind":"tap_call""#) && $0.contains(#""method":"add""#)
                    && $0.contains(#""conn":"c2.1""#)
            }.count == 3)
        #expect(
            lines.filter {
                $0.contains(#""kind":"tap_result""#) && $0.contains(#""method":"fail""#)
                    && $0.contains(#""ok":false"#)
            }.count == 1)
        // The link itself is watched as ever.
        #expect(run.stdout.contains(#""conn":"c1","from":"connecting","to":"up""#))
        kill(run.process.processIdentifier, SIGTERM)
        #expect(await run.exitCode() == 0, "stderr: \(run.stderr)")
    }

    @Test(
        "upmon tap TLS flags: a tls:// LISTEN needs a certificate; files that cannot be used end it with exit 2, named"
    )
    func tlsUsage() async throws {
        let bare = try await InstalledRun.run(["tap", "tls://127.0.0.1:0", "127.0.0.1:1"])
        #expect(bare.code == 64)
        #expect(
            bare.stderr.contains(
                "needs the certificate and key to serve: --tls-cert FILE --tls-key FILE"),
            "\(bare.stderr)")
        let stray = try await InstalledRun.run(
            ["tap", "127.0.0.1:0", "127.0.0.1:1", "--tls-ca", "/x.pem"])
        #expect(stray.code == 64)
        #expect(stray.stderr.contains("no TARGET is tls://"), "\(stray.stderr)")
        let missing = try await InstalledRun.run([
            "tap", "tls://127.0.0.1:0", "127.0.0.1:1", "--tls-cert", "/nonexistent/tap.pem",
            "--tls-key", "/nonexistent/tap.key",
        ])
        #expect(missing.code == 2)
        #expect(
            missing.stderr.contains(
                "--tls-cert /nonexistent/tap.pem: no such file; give a PEM certificate"),
            "\(missing.stderr)")
        guard TestCertificate.isAvailable else { return }
        let directory = NSTemporaryDirectory() + "upmon-tapcert-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try TestCertificate.make("a", in: directory)
        try TestCertificate.make("b", in: directory)
        let swapped = try await InstalledRun.run([
            "tap", "tls://127.0.0.1:0", "127.0.0.1:1", "--tls-cert", directory + "/a.pem",
            "--tls-key", directory + "/a.pem",
        ])
        #expect(swapped.code == 2)
        #expect(
            swapped.stderr.contains("a.pem: does not hold a PEM private key"), "\(swapped.stderr)")
        let mismatched = try await InstalledRun.run([
            "tap", "--json", "tls://127.0.0.1:0", "127.0.0.1:1", "--tls-cert",
            directory + "/a.pem", "--tls-key", directory + "/b.key",
        ])
        #expect(mismatched.code == 2)
        #expect(
            mismatched.stderr.contains("a.pem") && mismatched.stderr.contains("b.key")
                && mismatched.stderr.contains("check that the key belongs to the certificate"),
            "\(mismatched.stderr)")
    }

    /// The port in `listening on tcp://127.0.0.1:PORT` of the tap's first state line.
    static func listeningPort(_ stdout: String) -> Int? {
        guard let range = stdout.range(of: "listening on tcp://127.0.0.1:") else { return nil }
        return Int(stdout[range.upperBound...].prefix { $0.isNumber })
    }
}
