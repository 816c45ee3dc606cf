import DnodeProtocol
import Foundation
import NIOCore
import NIOSSL
import ProcessTestSupport
import Testing
import Upnode
import UpnodeMonitor
import UpnodeServe
import UpnodeTap

/// `upmon tap` with TLS on either side, on loopback, with self-signed certificates made for
/// the test: the tap's (`tap.pem`) and the target's (`server.pem`), both for `localhost`.
@Suite("Tap: TLS", .enabled(if: TestCertificate.isAvailable), .timeLimit(.minutes(2)))
struct TapTLSTests {
    struct Certificates {
        let directory: String
        func pem(_ name: String) -> String { "\(directory)/\(name).pem" }
        func key(_ name: String) -> String { "\(directory)/\(name).key" }

        init() throws {
            directory = NSTemporaryDirectory() + "upmon-taptls-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)
            try TestCertificate.make("tap", in: directory)
            try TestCertificate.make("server", in: directory)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }

        /// An `upmon serve`-like target serving `server.pem` on a loopback port.
        func upstream(pingInterval: Duration? = nil) async throws -> UpnodeServer {
            var options = UpnodeServer.Options()
            if let pingInterval { options.pingInterval = pingInterval }
            options.tls = ServerTLSOptions(
                certificateFile: pem("server"), privateKeyFile: key("server"))
            return try await UpnodeServer.listen(
                .tcp(host: "127.0.0.1", port: 0), options: options,
                methods: ServeMethods().factory)
        }

        /// The target's server context.
        func serverContext() throws -> NIOSSLContext {
            try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: NIOSSLCertificate.fromPEMFile(pem("server")).map {
                        .certificate($0)
                    },
                    privateKey: .privateKey(NIOSSLPrivateKey(file: key("server"), format: .pem))))
        }

        /// A client context that trusts `name`'s certificate only.
        func clientContext(trusting name: String) throws -> NIOSSLContext {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pem(name)))
            return try NIOSSLContext(configuration: configuration)
        }

        /// A route listening with TLS (tap.pem) on a free port, to `target`.
        func route(to target: Endpoint, trusting trust: String = "server") -> TapRoute {
            TapRoute(
                id: "c1", name: "tap", listen: .tls(host: "127.0.0.1", port: 0), target: target,
                listenTLS: ServerTLSOptions(
                    certificateFile: pem("tap"), privateKeyFile: key("tap")),
                targetTLS: TLSOptions(trustRootsFile: pem(trust), serverName: "localhost"))
        }
    }

    @Test(
        "TLS on both sides: bytes pass unchanged (a 1 MiB line and a malformed one included), decoded as plaintext"
    )
    func transparency() async throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        let big = String(repeating: "y", count: 1 << 20)
        let clientScript: [[UInt8]] = [
            Array(#"{"method":"add","arguments":[2,3,"[Function]"],"callbacks":{"0":["2"]}}"#.utf8)
                + [0x0A],
            Array(
                #"{"method":"echo","arguments":["\#(big)","[Function]"],"callbacks":{"1":["1"]}}"#
                    .utf8)
                + [0x0A],
            Array("this is {not json\r\n".utf8),
        ]
        let serverScript: [[UInt8]] = [
            Array(#"{"method":0,"arguments":[5],"callbacks":{},"links":[]}"#.utf8) + [0x0A],
            Array(#"{"method":1,"arguments":["\#(big)"],"callbacks":{},"links":[]}"#.utf8) + [0x0A],
        ]
        let sink = CollectingSink()
        let server = try await ScriptedServer.start(
            script: serverScript, after: clientScript.reduce(0) { $0 + $1.count },
            tls: try certificates.serverContext())
        guard case .tcp(_, let port) = server.endpoint else { throw CancellationError() }
        let tap = try await TapServer.start(
            certificates.route(to: .tls(host: "127.0.0.1", port: port)), sink: sink.sink)
        guard case .tls = tap.boundEndpoint else {
            Issue.record("the tap does not listen with TLS: \(tap.boundEndpoint)")
            return
        }
        let client = try await ScriptedClient.connect(
            to: tap.boundEndpoint, script: clientScript,
            tls: try certificates.clientContext(trusting: "tap"))
        let (clientReceived, serverReceived) = (
            try await bytes(client.received), try await bytes(server.received)
        )
        #expect(serverReceived == clientScript.flatMap { $0 })
        #expect(clientReceived == serverScript.flatMap { $0 })
        #expect(await sink.eventually { $0.contains { $0.isState(to: .closed) } })
        let calls = sink.events.compactMap(\.tapSummary)
        #expect(calls == ["call add", "call echo", "result add ok", "result echo ok"])
        #expect(
            sink.events.contains { $0.noteText?.contains("malformed line from the client") == true }
        )
        await tap.close()
        try await server.close()
    }

    @Test("statistics match the calls made through TLS on both sides, call by call")
    func statisticsCallByCall() async throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        let upstream = try await certificates.upstream(pingInterval: .seconds(3600))
        let sink = CollectingSink()
        let route = certificates.route(to: upstream.boundEndpoint)
        let tap = try await TapServer.start(route, sink: sink.sink)
        guard case .tls(_, let port) = tap.boundEndpoint else { throw CancellationError() }
        var configuration = LinkConfiguration()
        configuration.pingInterval = .zero
        let client = UpnodeClient(
            endpoint: .tls(host: "127.0.0.1", port: port), configuration: configuration,
            tls: TLSOptions(trustRootsFile: certificates.pem("tap"), serverName: "localhost"))
        client.start()
        for index in 0..<10 {
            let sum = try await client.up {
                try await $0.request("add", [.int(Int64(index)), .int(1)])
            }
            #expect(sum.first?.json == .int(Int64(index + 1)))
        }
        for _ in 0..<3 {
            let failed = try await client.up { try await $0.request("fail") }
            #expect(failed.first?.json["message"] == "boom")
        }
        client.close()
        #expect(await sink.eventually { $0.contains { $0.isState(to: .closed) } })
        let state = sink.state(routes: [route])
        let tapped = try #require(state["c1.1"]?.tap)
        let add = tapped.methods[.init(caller: .client, method: "add")]
        let fail = tapped.methods[.init(caller: .client, method: "fail")]
        #expect(add?.calls == 10)
        #expect(add?.answered == 10)
        #expect(fail?.calls == 3)
        #expect(fail?.errors == 3)
        #expect(state["c1.1"]?.calls.ok == 10)
        #expect(state["c1.1"]?.calls.err == 3)
        await tap.close()
        await upstream.close()
    }

    @Test("a client without TLS on a TLS listener is reported on its connection; the tap goes on")
    func plaintextClientOnTLSListener() async throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        let upstream = try await certificates.upstream()
        let sink = CollectingSink()
        let route = certificates.route(to: upstream.boundEndpoint)
        let tap = try await TapServer.start(route, sink: sink.sink)
        let plain = try await ScriptedClient.connect(
            to: tap.boundEndpoint, script: [Array("{\"method\":\"methods\"}\n".utf8)])
        _ = try await bytes(plain.received)
        #expect(
            await sink.eventually { events in
                events.contains { $0.conn == "c1.1" && $0.isState(to: .closed) }
            })
        let state = sink.state(routes: [route])
        #expect(state["c1.1"]?.downReason == LinkReasonName.tlsError)
        #expect(
            sink.events.contains {
                $0.conn == "c1.1" && $0.noteText?.contains("TLS handshake failed") == true
                    && $0.noteText?.contains("does the client speak TLS?") == true
            })
        #expect(state["c1"]?.state == .up)

        // The next client, with TLS, gets through.
        guard case .tls(_, let port) = tap.boundEndpoint else { throw CancellationError() }
        let client = UpnodeClient(
            endpoint: .tls(host: "127.0.0.1", port: port), configuration: LinkConfiguration(),
            tls: TLSOptions(trustRootsFile: certificates.pem("tap"), serverName: "localhost"))
        client.start()
        let sum = try await client.up { try await $0.request("add", [.int(40), .int(2)]) }
        #expect(sum.first?.json == .int(42))
        client.close()
        await tap.close()
        await upstream.close()
    }

    @Test(
        "a TLS target the tap does not trust: the connection goes down with tls_error and says what to check"
    )
    func untrustedTarget() async throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        let upstream = try await certificates.upstream()
        let sink = CollectingSink()
        // Trusting the tap's own certificate, not the server's.
        let route = certificates.route(to: upstream.boundEndpoint, trusting: "tap")
        let tap = try await TapServer.start(route, sink: sink.sink)
        let client = try await ScriptedClient.connect(
            to: tap.boundEndpoint, script: [],
            tls: try certificates.clientContext(trusting: "tap"))
        _ = try? await bytes(client.received)
        #expect(
            await sink.eventually { events in
                events.contains { $0.conn == "c1.1" && $0.isState(to: .closed) }
            })
        let state = sink.state(routes: [route])
        #expect(state["c1.1"]?.downReason == LinkReasonName.tlsError)
        #expect(
            sink.events.contains {
                $0.noteText?.contains("the server: TLS handshake failed") == true
                    && $0.noteText?.contains("--tls-ca") == true
            })
        await tap.close()
        await upstream.close()
    }

    @Test("a TLS client on a plaintext listener is reported on its connection")
    func tlsClientOnPlainListener() async throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        let server = try await ScriptedServer.start(script: [], after: 1)
        let sink = CollectingSink()
        let route = TapRoute(
            id: "c1", name: "tap", listen: .tcp(host: "127.0.0.1", port: 0),
            target: server.endpoint)
        let tap = try await TapServer.start(route, sink: sink.sink)
        _ = try await ScriptedClient.connect(
            to: tap.boundEndpoint, script: [],
            tls: try certificates.clientContext(trusting: "tap"))
        #expect(
            await sink.eventually { events in
                events.contains {
                    $0.conn == "c1.1"
                        && $0.noteText?.contains("the client speaks TLS to a listener without it")
                            == true
                }
            }, "\(sink.events.map { "\($0.conn?.rawValue ?? "-") \($0.kind)" })")
        await tap.close()
        try await server.close()
    }

    @Test("TLS files that are missing or do not match fail the start, naming the files")
    func badFiles() async throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        let sink = CollectingSink()
        var route = certificates.route(to: .tcp(host: "127.0.0.1", port: 1))
        route.listenTLS = ServerTLSOptions(
            certificateFile: certificates.directory + "/nope.pem",
            privateKeyFile: certificates.key("tap"))
        await #expect {
            _ = try await TapServer.start(route, sink: sink.sink)
        } throws: { error in
            "\(error)".contains("nope.pem")
        }
        // The key of another certificate.
        route.listenTLS = ServerTLSOptions(
            certificateFile: certificates.pem("tap"), privateKeyFile: certificates.key("server"))
        await #expect {
            _ = try await TapServer.start(route, sink: sink.sink)
        } throws: { error in
            "\(error)".contains("tap.pem") && "\(error)".contains("server.key")
        }
        // A trust file that is not there, for a tls:// target.
        let target = TapRoute(
            id: "c1", name: "tap", listen: .tcp(host: "127.0.0.1", port: 0),
            target: .tls(host: "127.0.0.1", port: 1),
            targetTLS: TLSOptions(
                trustRootsFile: certificates.directory + "/no-ca.pem", serverName: "localhost"))
        await #expect {
            _ = try await TapServer.start(target, sink: sink.sink)
        } throws: { error in
            "\(error)".contains("no-ca.pem")
        }
        // An IP address without a name to verify: said at start, not on every connection.
        var unnamed = target
        unnamed.targetTLS = TLSOptions()
        await #expect {
            _ = try await TapServer.start(unnamed, sink: sink.sink)
        } throws: { error in
            "\(error)".contains("an IP address cannot be the name")
        }
        #expect(sink.events.isEmpty)
    }
}
