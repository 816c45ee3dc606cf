import DnodeProtocol
import Foundation
import Synchronization
import Upnode
import UpnodeServe

/// `upmon --demo`: embedded servers with personalities, so a new user sees a live dashboard
/// with no setup (docs/ARCHITECTURE.md, "Demo mode"). All on 127.0.0.1 and a unix socket in a temp directory.
public final class DemoCluster: Sendable {
    /// The links to watch, in display order.
    public let connections: [ConnectionSpec]
    /// Credentials for the `auth` link (set in-process; the config refers to them by name).
    public let environment: [String: String]
    let servers: Mutex<[String: UpnodeServer]>
    let tasks: Mutex<[Task<Void, Never>]>
    let socketDirectory: String

    init(
        connections: [ConnectionSpec], environment: [String: String],
        servers: [String: UpnodeServer], socketDirectory: String
    ) {
        self.connections = connections
        self.environment = environment
        self.servers = Mutex(servers)
        self.tasks = Mutex([])
        self.socketDirectory = socketDirectory
    }

    /// Starts the servers and the flapping schedule; the same seed gives the same behaviour.
    public static func start(seed: UInt64) async throws -> DemoCluster {
        let directory = NSTemporaryDirectory() + "upmon-demo-\(getpid())-\(seed)"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        var servers: [String: UpnodeServer] = [:]
        func options(_ change: (inout ServeMethods.Options) -> Void) -> ServeMethods.Options {
            var options = ServeMethods.Options()
            options.includeCountdown = true
            change(&options)
            return options
        }
        let personalities: [(String, ServeMethods.Options)] = [
            ("api", options { $0.replyDelayMs = 8...20 }),
            ("slow", options { $0.replyDelayMs = 150...400 }),
            (
                "lossy",
                options {
                    $0.replyDelayMs = 4...8
                    $0.dropPingFraction = 0.1
                }
            ),
            ("flappy", options { $0.replyDelayMs = 2...5 }),
            (
                "auth",
                options {
                    $0.replyDelayMs = 1...4
                    $0.credentials = ("demo", "s3cret")
                }
            ),
        ]
        var specs: [ConnectionSpec] = []
        for (name, serveOptions) in personalities {
            let server = try await UpnodeServer.listen(
                .tcp(host: "127.0.0.1", port: 0),
                methods: ServeMethods(options: serveOptions).factory)
            servers[name] = server
            var spec = ConnectionSpec(name: name, endpoint: server.boundEndpoint)
            spec.link = demoLink()
            if name == "auth" {
                spec.auth = AuthSpec(
                    method: "auth",
                    arguments: [.environment("UPMON_DEMO_USER"), .environment("UPMON_DEMO_PASS")])
            }
            specs.append(spec)
        }
        let socket = directory + "/local.sock"
        servers["local"] = try await UpnodeServer.listen(
            .unix(path: socket),
            methods: ServeMethods(options: options { $0.replyDelayMs = 1...3 }).factory)
        var local = ConnectionSpec(name: "local", endpoint: .unix(path: socket))
        local.link = demoLink()
        specs.append(local)
        // Nobody listens here: bind a port, then close it.
        let probe = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), methods: { _ in [:] })
        let refusedEndpoint = probe.boundEndpoint
        await probe.close()
        var refused = ConnectionSpec(name: "refused", endpoint: refusedEndpoint)
        refused.link = demoLink()
        refused.link.reconnect = .exponential
        specs.append(refused)
        specs.sort { $0.name < $1.name }

        let cluster = DemoCluster(
            connections: specs,
            environment: ["UPMON_DEMO_USER": "demo", "UPMON_DEMO_PASS": "s3cret"],
            servers: servers, socketDirectory: directory)
        cluster.startFlapping(seed: seed)
        return cluster
    }

    static func demoLink() -> LinkConfiguration {
        var link = LinkConfiguration()
        link.pingInterval = .seconds(1)
        link.pingTimeout = .milliseconds(800)
        link.reconnect = .fixed(.seconds(1))
        link.connectTimeout = .seconds(3)
        return link
    }

    /// `flappy` stops listening for 5–15 s every 20–40 s (the first time after 6 s, so a new
    /// user sees a flap soon), then listens again on the same port.
    func startFlapping(seed: UInt64) {
        guard let flappy = servers.withLock({ $0["flappy"] }),
            case .tcp(let host, let port) = flappy.boundEndpoint
        else { return }
        let task = Task { [self] in
            var random = SplitMix64(seed: seed)
            var upFor: Duration = .seconds(6)
            while !Task.isCancelled {
                try? await Task.sleep(for: upFor)
                guard !Task.isCancelled,
                    let server = servers.withLock({ $0.removeValue(forKey: "flappy") })
                else { return }
                await server.close()
                try? await Task.sleep(
                    for: .milliseconds(Int64.random(in: 5_000...15_000, using: &random)))
                guard !Task.isCancelled else { return }
                if let again = try? await UpnodeServer.listen(
                    .tcp(host: host, port: port),
                    methods: ServeMethods(
                        options: {
                            var o = ServeMethods.Options()
                            o.includeCountdown = true
                            o.replyDelayMs = 2...5
                            return o
                        }()
                    ).factory)
                {
                    servers.withLock { $0["flappy"] = again }
                }
                upFor = .milliseconds(Int64.random(in: 20_000...40_000, using: &random))
            }
        }
        tasks.withLock { $0.append(task) }
    }

    /// Stops the schedule and every server.
    public func stop() async {
        for task in tasks.withLock({ $0 }) { task.cancel() }
        let all = servers.withLock { servers in
            defer { servers.removeAll() }
            return Array(servers.values)
        }
        for server in all { await server.close() }
        try? FileManager.default.removeItem(atPath: socketDirectory)
    }
}

extension DemoCluster {
    /// Sends a transaction to each link every 2–5 s (time, add or countdown) through the `up`
    /// queue, so calls and queue depth move, also while a link is down.
    public func startTraffic(session: LiveSession, seed: UInt64) {
        let infos = session.infos
        let task = Task {
            var random = SplitMix64(seed: seed &+ 1)
            var next: [Double] = infos.map { _ in Double.random(in: 1...3, using: &random) }
            let start = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                let elapsed = (ContinuousClock.now - start).milliseconds / 1000
                for (index, info) in infos.enumerated() where elapsed >= next[index] {
                    next[index] = elapsed + Double.random(in: 2...5, using: &random)
                    let (method, args): (String, [JSONValue]) =
                        switch Int.random(in: 0..<4, using: &random) {
                        case 0:
                            (
                                "add",
                                [
                                    .int(Int64.random(in: 1...99, using: &random)),
                                    .int(Int64.random(in: 1...99, using: &random)),
                                ]
                            )
                        case 1: ("countdown", [.int(3)])
                        default: ("time", [])
                        }
                    session.call(
                        conn: info.id, method: method, args: args, wait: .seconds(10),
                        origin: .queued
                    ) { _ in }
                }
            }
        }
        tasks.withLock { $0.append(task) }
    }
}
