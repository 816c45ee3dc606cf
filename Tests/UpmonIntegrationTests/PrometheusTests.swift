import DnodeProtocol
import Foundation
import NIOCore
import NIOPosix
import ProcessTestSupport
import Synchronization
import Testing

@testable import UpmonApp

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real `promtool` and `prometheus` against the real `upmon watch --metrics` and the files
/// in contrib/ (README.md, "Many hosts"). Without the tools these tests fail: they must not
/// pass by skipping.
@Suite(
    "Prometheus: promtool and a real server against upmon --metrics",
    .enabled(if: UpmonBinary.isAvailable), .serialized, .timeLimit(.minutes(1)))
struct PrometheusTests {
    static let contrib = packageRoot.appendingPathComponent("contrib")
    static let alerts = contrib.appendingPathComponent("prometheus/upmon-alerts.yml").path
    static let alertTests = contrib.appendingPathComponent("prometheus/upmon-alerts.test.yml").path
    static let exampleConfig = contrib.appendingPathComponent("prometheus/prometheus.yml").path
    static let dashboard = contrib.appendingPathComponent("grafana/upmon.json").path

    @Test(
        "promtool check metrics on a real scrape finds nothing; every metric the alert rules, their tests and the Grafana dashboard use is in it"
    )
    func checkMetrics() async throws {
        let promtool = try PrometheusTool.require("promtool")
        let agent = try await MetricsAgent.start()
        defer { agent.terminate() }
        let body = try await agent.scrapeAfterFirstPing()

        let (status, output) = try await PrometheusTool.run(
            promtool, ["check", "metrics"], stdin: body, directory: agent.directory)
        #expect(status == 0, "promtool check metrics exit \(status):\n\(output)")
        #expect(output.isEmpty, "promtool check metrics reported:\n\(output)")

        let exported = Self.sampleNames(body)
        #expect(exported.contains("upnode_link_up"), "not a scrape:\n\(body)")
        for path in [Self.alerts, Self.alertTests, Self.dashboard] {
            let used = try Self.metricNames(inFile: path)
            #expect(!used.isEmpty, "\(path) uses no upnode_ metric")
            let unknown = used.subtracting(exported).sorted()
            #expect(unknown.isEmpty, "\(path) uses metrics upmon does not export: \(unknown)")
        }
    }

    @Test(
        "the endpoint: / is an HTML page with the version and link count, HEAD sends headers only, other methods 405 with Allow, unknown paths 404"
    )
    func endpoint() async throws {
        let agent = try await MetricsAgent.start()
        defer { agent.terminate() }
        let index = try await httpRaw(agent.address, method: "GET", path: "/")
        #expect(index.hasPrefix("HTTP/1.0 200 OK"), "\(index)")
        #expect(index.lowercased().contains("content-type: text/html; charset=utf-8"))
        #expect(index.contains("<title>upmon exporter</title>"))
        #expect(index.contains("<h1>upmon 0.1.0"), "\(index)")  // and the commit
        #expect(index.contains("Watching 2 links"))
        #expect(index.contains("<a href=\"/metrics\">"))

        let get = try await httpRaw(agent.address, method: "GET", path: "/metrics")
        let head = try await httpRaw(agent.address, method: "HEAD", path: "/metrics")
        #expect(head.hasPrefix("HTTP/1.0 200 OK"), "\(head)")
        #expect(head.hasSuffix("\r\n\r\n"), "HEAD sent a body: \(head)")
        #expect(head.lowercased().contains("content-type: text/plain; version=0.0.4"))
        #expect(
            get.lowercased().contains("content-length:")
                && head.lowercased().contains("content-length:"))

        let post = try await httpRaw(agent.address, method: "POST", path: "/metrics")
        #expect(post.hasPrefix("HTTP/1.0 405 Method Not Allowed"), "\(post)")
        #expect(post.lowercased().contains("allow: get, head"), "\(post)")
        let missing = try await httpRaw(agent.address, method: "GET", path: "/metricsx")
        #expect(missing.hasPrefix("HTTP/1.0 404 Not Found"), "\(missing)")
        let favicon = try await httpRaw(agent.address, method: "GET", path: "/favicon.ico")
        #expect(favicon.hasPrefix("HTTP/1.0 404 Not Found"), "\(favicon)")
    }

    @Test(
        "a real Prometheus (1 s scrapes) scrapes upmon --metrics: the query API answers upnode_link_up 1 for the up link, 0 for the missing one; the alert rules load"
    )
    func prometheusServer() async throws {
        let binary = try PrometheusTool.require("prometheus")
        let agent = try await MetricsAgent.start()
        defer { agent.terminate() }
        let server = try await PrometheusServer.start(
            binary: binary, directory: agent.directory, target: agent.address,
            ruleFile: Self.alerts)
        defer { server.terminate() }

        var values: [String: String] = [:]
        let answered = await eventually(timeout: .seconds(40)) {
            values = (try? await server.query("upnode_link_up")) ?? [:]
            return values["api"] == "1" && values["gone"] == "0"
        }
        #expect(answered, "upnode_link_up by conn: \(values)\n\(server.log)")
        let rules = (try? await httpGet(server.address, path: "/api/v1/rules")) ?? ""
        for rule in [
            "UpnodeLinkDown", "UpnodeLinkFlapping", "UpnodeHighLatency", "UpnodeQueueStuck",
        ] {
            #expect(rules.contains("\"name\":\"\(rule)\""), "rule \(rule) not loaded: \(rules)")
        }
    }

    /// Names of every sample and family in an exposition body.
    static func sampleNames(_ body: String) -> Set<String> {
        var names: Set<String> = []
        for line in body.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if line.hasPrefix("# TYPE "), fields.count > 2 {
                names.insert(String(fields[2]))
            } else if !line.hasPrefix("#"),
                let name = line.split(separator: "{").first?
                    .split(separator: " ").first
            {
                names.insert(String(name))
            }
        }
        return names
    }

    /// Every `upnode_…` metric name written in a file.
    static func metricNames(inFile path: String) throws -> Set<String> {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let pattern = try Regex("upnode_[a-z0-9_]+")
        return Set(text.matches(of: pattern).map { String(text[$0.range]) })
    }
}

/// The files in contrib/prometheus checked by promtool; no upmon binary needed.
@Suite("Prometheus: promtool on the alert rules and the example config")
struct PrometheusRuleTests {
    @Test(
        "promtool: the alert rules pass check rules, their unit tests pass, the example scrape config is valid"
    )
    func rules() async throws {
        let promtool = try PrometheusTool.require("promtool")
        let (checkStatus, check) = try await PrometheusTool.run(
            promtool, ["check", "rules", PrometheusTests.alerts])
        #expect(checkStatus == 0, "promtool check rules:\n\(check)")
        #expect(check.contains("SUCCESS: 4 rules found"), "\(check)")
        #expect(!check.contains("WARNING"), "\(check)")

        let (testStatus, test) = try await PrometheusTool.run(
            promtool, ["test", "rules", PrometheusTests.alertTests])
        #expect(testStatus == 0, "promtool test rules:\n\(test)")
        #expect(test.contains("SUCCESS"), "\(test)")
        // Every rule has a firing and a not-firing case.
        let testText = try String(contentsOfFile: PrometheusTests.alertTests, encoding: .utf8)
        for rule in [
            "UpnodeLinkDown", "UpnodeLinkFlapping", "UpnodeHighLatency", "UpnodeQueueStuck",
        ] {
            #expect(
                testText.components(separatedBy: "alertname: \(rule)\n").count - 1 == 2,
                "\(rule) should be tested firing and not firing")
        }

        let (configStatus, config) = try await PrometheusTool.run(
            promtool, ["check", "config", PrometheusTests.exampleConfig])
        #expect(configStatus == 0, "promtool check config:\n\(config)")
    }
}

/// What the metrics endpoint answers, from method and path alone.
@Suite("Metrics endpoint routes")
struct MetricsRouteTests {
    @Test("GET and HEAD reach / and /metrics (query ignored); other methods 405; other paths 404")
    func routes() {
        #expect(MetricsRoute(method: .GET, uri: "/metrics") == .metrics)
        #expect(MetricsRoute(method: .HEAD, uri: "/metrics?x=1") == .metrics)
        #expect(MetricsRoute(method: .GET, uri: "/") == .index)
        #expect(MetricsRoute(method: .POST, uri: "/metrics") == .methodNotAllowed)
        #expect(MetricsRoute(method: .DELETE, uri: "/") == .methodNotAllowed)
        #expect(MetricsRoute(method: .GET, uri: "/metrics/") == .notFound)
        #expect(MetricsRoute(method: .POST, uri: "/nope") == .notFound)
    }

    @Test("the / page escapes the version and counts links")
    func indexPage() {
        let page = MetricsServer.indexPage(version: "1.0<b>", links: 1, up: 0)
        #expect(page.contains("<h1>upmon 1.0&lt;b&gt;</h1>"))
        #expect(page.contains("Watching 1 link, 0 up."))
        #expect(MetricsServer.indexPage(version: nil, links: 3, up: 2).contains("<h1>upmon</h1>"))
        #expect(MetricsServer.indexPage(version: "", links: 3, up: 2).contains("<h1>upmon</h1>"))
    }
}

/// The Prometheus command-line tools (Debian package `prometheus`).
enum PrometheusTool {
    /// The tool's path on `$PATH` (or /usr/bin), if installed.
    static func path(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin"]
        return directories.map { $0 + "/" + name }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The tool's path, or a failed test that says how to get it.
    static func require(_ name: String) throws -> String {
        try #require(
            path(name),
            "\(name) is not installed: install the Debian package 'prometheus' (.ci/run does); these tests need it and do not skip"
        )
    }

    /// Runs a tool to completion: its exit status and what it wrote (stdout, then stderr).
    static func run(
        _ tool: String, _ arguments: [String], stdin: String? = nil, directory: String? = nil
    ) async throws -> (status: Int32, output: String) {
        let base = (directory ?? NSTemporaryDirectory()) + "/tool-\(UUID().uuidString.prefix(8))"
        defer {
            for suffix in [".in", ".out", ".err"] {
                try? FileManager.default.removeItem(atPath: base + suffix)
            }
        }
        var command = [tool] + arguments
        if let stdin {
            try stdin.write(toFile: base + ".in", atomically: false, encoding: .utf8)
            command =
                ["/bin/sh", "-c", "f=$1; shift; exec \"$@\" < \"$f\"", "sh", base + ".in"]
                + command
        }
        // Polled rather than waited for: a blocked thread would starve the other tests'
        // tasks on a 2-core machine.
        let process = try TestProcess(
            command[0], Array(command.dropFirst()), stdoutPath: base + ".out",
            stderrPath: base + ".err")
        defer { process.terminate() }
        guard await eventually(timeout: .seconds(40), { process.hasExited }),
            let status = process.exitStatus
        else {
            throw AgentFailure(message: "\(tool) \(arguments) did not finish within 40 s")
        }
        let output = [".out", ".err"].map {
            (try? String(contentsOfFile: base + $0, encoding: .utf8)) ?? ""
        }
        return (status, output.joined())
    }
}

/// A real `upmon serve` on a unix socket and a real headless `upmon watch --metrics … --config …`
/// (as the systemd unit runs it) watching it as `api`, plus `gone`, a socket nobody listens on.
final class MetricsAgent: Sendable {
    let directory: String
    let serve: TestProcess
    let upmon: TestProcess
    /// Where upmon serves metrics (`127.0.0.1:PORT`).
    let address: String

    private init(directory: String, serve: TestProcess, upmon: TestProcess, address: String) {
        self.directory = directory
        self.serve = serve
        self.upmon = upmon
        self.address = address
    }

    static func start() async throws -> MetricsAgent {
        let directory = NSTemporaryDirectory() + "upmon-prom-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        let socket = directory + "/s.sock"
        let serve = try TestProcess(UpmonBinary.path, ["serve", "--unix", socket, "--quiet"])
        guard
            await eventually(
                timeout: .seconds(30), { FileManager.default.fileExists(atPath: socket) })
        else {
            serve.terminate()
            throw AgentFailure(message: "upmon serve never listened on \(socket)")
        }
        let config = directory + "/upmon.conf"
        try """
        [api]
        endpoint = unix:\(socket)
        ping = 200ms
        [gone]
        endpoint = unix:\(directory)/nobody.sock
        reconnect = 200ms

        """.write(toFile: config, atomically: false, encoding: .utf8)
        // A port picked by binding port 0 can be taken before upmon binds it: then upmon
        // exits 2 and another port is tried.
        var failures: [String] = []
        for attempt in 1...5 {
            let address = "127.0.0.1:\(try freeLoopbackPort())"
            let upmon = try TestProcess(
                UpmonBinary.path, ["watch", "--metrics", address, "--config", config],
                stderrPath: directory + "/upmon-\(attempt).err")
            let serving = await eventually(timeout: .seconds(30)) {
                if upmon.hasExited { return true }
                return (try? await httpGet(address, path: "/metrics"))?.contains("# TYPE") == true
            }
            if serving && !upmon.hasExited {
                return MetricsAgent(
                    directory: directory, serve: serve, upmon: upmon, address: address)
            }
            upmon.terminate()
            failures.append(
                (try? String(contentsOfFile: directory + "/upmon-\(attempt).err", encoding: .utf8))
                    ?? "no stderr")
        }
        serve.terminate()
        throw AgentFailure(message: "upmon --metrics never served: \(failures)")
    }

    /// A scrape taken once `api` has answered a ping (so its quantiles are numbers).
    func scrapeAfterFirstPing() async throws -> String {
        var body = ""
        let pinged = await eventually(timeout: .seconds(30)) {
            body = (try? await httpGet(address, path: "/metrics")) ?? ""
            return body.contains("upnode_ping_seconds_count{conn=\"api\"} ")
                && !body.contains("upnode_ping_seconds_count{conn=\"api\"} 0\n")
        }
        if !pinged { throw AgentFailure(message: "api never answered a ping:\n\(body)") }
        return body
    }

    /// Kills both processes and removes the directory.
    func terminate() {
        upmon.terminate()
        serve.terminate()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A real Prometheus scraping one target every second, with its own storage and port.
final class PrometheusServer: Sendable {
    let process: TestProcess
    let address: String
    let logPath: String

    private init(process: TestProcess, address: String, logPath: String) {
        self.process = process
        self.address = address
        self.logPath = logPath
    }

    static func start(binary: String, directory: String, target: String, ruleFile: String)
        async throws -> PrometheusServer
    {
        let config = directory + "/prometheus.yml"
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files:
          - \(ruleFile)
        scrape_configs:
          - job_name: upmon
            static_configs:
              - targets: ["\(target)"]

        """.write(toFile: config, atomically: false, encoding: .utf8)
        var logs: [String] = []
        for attempt in 1...5 {
            let address = "127.0.0.1:\(try freeLoopbackPort())"
            let logPath = directory + "/prometheus-\(attempt).log"
            let process = try TestProcess(
                binary,
                [
                    "--config.file=\(config)",
                    "--storage.tsdb.path=\(directory)/tsdb-\(attempt)",
                    "--web.listen-address=\(address)",
                ], stderrPath: logPath)
            let ready = await eventually(timeout: .seconds(30)) {
                if process.hasExited { return true }
                return (try? await httpGet(address, path: "/-/ready"))?.contains("Ready") == true
            }
            if ready && !process.hasExited {
                return PrometheusServer(process: process, address: address, logPath: logPath)
            }
            process.terminate()
            logs.append((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "no log")
        }
        throw AgentFailure(message: "prometheus never became ready:\n\(logs.joined())")
    }

    /// An instant query through the HTTP API: each series' value by its `conn` label.
    func query(_ expression: String) async throws -> [String: String] {
        let body = try await httpGet(address, path: "/api/v1/query?query=\(expression)")
        let json = try JSONValue(parsing: body)
        var values: [String: String] = [:]
        for series in json["data"]?["result"]?.arrayValue ?? [] {
            if let conn = series["metric"]?["conn"]?.stringValue,
                let value = series["value"]?.arrayValue?.last?.stringValue
            {
                values[conn] = value
            }
        }
        return values
    }

    /// The end of Prometheus' log, for failure messages.
    var log: String {
        String(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(2000))
    }

    func terminate() { process.terminate() }
}

struct AgentFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A child process (posix_spawn, default signal handling) that can tell whether it has exited.
final class TestProcess: Sendable {
    let pid: pid_t
    /// The exit status once the child has been reaped (so its pid is never signalled after
    /// reuse); -1 when it was killed by a signal.
    let status = Mutex<Int32?>(nil)

    /// Starts `path` at a lower priority and with one Go scheduler thread (prometheus and
    /// promtool are Go): these tests wait generously, other suites' tests run on tight
    /// deadlines on the same 2 cores. `nice` and `env` exec, so `pid` is the program's own.
    init(
        _ path: String, _ arguments: [String], stdoutPath: String? = nil, stderrPath: String? = nil
    )
        throws
    {
        let wrapped = ["-n", "10", "/usr/bin/env", "GOMAXPROCS=1", path] + arguments
        pid = try Spawn.start(
            "/usr/bin/nice", wrapped, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    /// Whether the child has exited (it is reaped if so); never blocks.
    var hasExited: Bool { exitStatus != nil }

    /// The exit status, or nil while the child runs; never blocks.
    var exitStatus: Int32? {
        status.withLock { status in
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid {
                    status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : -1
                }
            }
            return status
        }
    }

    /// SIGKILL and reap (no-op once reaped).
    func terminate() {
        status.withLock { status in
            guard status == nil else { return }
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            status = -1
        }
    }
}

/// Binds port 0 on 127.0.0.1 and returns the port the kernel chose (free a moment ago).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw AgentFailure(message: "socket: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard bound == 0, named == 0 else { throw AgentFailure(message: "bind: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// One HTTP/1.0 request over a raw NIO socket (loopback only): the whole response, headers
/// included.
func httpRaw(_ address: String, method: String, path: String) async throws -> String {
    let (host, port) = try MetricsServer.parseAddress(address)
    let collector = ResponseCollector()
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(collector)
            }
        }
        .connect(host: host, port: port).get()
    // Bounded: if the server never closes, give up after 5 s rather than hang the suite.
    let guardTimer = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    let request = "\(method) \(path) HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    try await channel.writeAndFlush(channel.allocator.buffer(string: request))
    try await channel.closeFuture.get()
    guardTimer.cancel()
    return collector.text
}
