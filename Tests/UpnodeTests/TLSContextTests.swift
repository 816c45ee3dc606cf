import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing
import UpnodeServe

@testable import Upnode

@Suite("TLS set up once", .timeLimit(.minutes(1)))
struct TLSContextTests {
    /// Replaces `path` with a copy of `source` at once (a new file renamed over it), as
    /// certificate renewal tools do: no attempt can read a half-written file.
    static func replace(_ path: String, with source: String) throws {
        try Data(contentsOf: URL(fileURLWithPath: source))
            .write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    @Test(
        "many reconnects build the client and server contexts once; a changed trust file is read at the next reconnect",
        .enabled(if: TestCertificate.isAvailable))
    func builtOnce() async throws {
        let directory = try temporaryDirectory()
        try TestCertificate.make("good", in: directory)
        try TestCertificate.make("other", in: directory)
        let trust = "\(directory)/trust.pem"
        try FileManager.default.copyItem(atPath: "\(directory)/good.pem", toPath: trust)

        var serverOptions = UpnodeServer.Options()
        let serverTLS = ServerTLSOptions(
            certificateFile: "\(directory)/good.pem", privateKeyFile: "\(directory)/good.key")
        serverOptions.tls = serverTLS
        let server = try await serve(.tcp(host: "127.0.0.1", port: 0), serverOptions: serverOptions)
        defer { Task { await server.close() } }
        guard case .tls(_, let port) = server.boundEndpoint else {
            Issue.record("not a TLS endpoint: \(server.boundEndpoint)")
            return
        }
        let tls = TLSOptions(trustRootsFile: trust)
        let client = UpnodeClient(
            endpoint: .tls(host: "localhost", port: port), configuration: testConfiguration(),
            tls: tls)
        let log = EventLog(client)
        client.start()
        defer { client.close() }
        for round in Int64(1)...5 {
            let sum = try await client.up(timeout: upGuard) {
                try await $0.request("add", [.int(round), .int(1)])
            }
            #expect(sum.json == [.int(round + 1)])
            // A fresh connection (and TLS handshake) before the next round's call.
            client.reconnectNow()
            #expect(await eventually { log.upCount == Int(round) + 1 })
        }
        #expect(tls.contextCache.builds.load(ordering: .relaxed) == 1)
        #expect(serverTLS.contextCache.builds.load(ordering: .relaxed) == 1)

        // The trust file now holds another certificate: the next attempt reads it and refuses
        // the server; put back, the one after that is up again.
        try Self.replace(trust, with: "\(directory)/other.pem")
        client.reconnectNow()
        #expect(await eventually { log.reasons(to: .down).contains { $0.code == "tls_error" } })
        #expect(tls.contextCache.builds.load(ordering: .relaxed) == 2)
        try Self.replace(trust, with: "\(directory)/good.pem")
        let sum = try await client.up(timeout: upGuard) {
            try await $0.request("add", [.int(40), .int(2)])
        }
        #expect(sum.json == [.int(42)])
        #expect(tls.contextCache.builds.load(ordering: .relaxed) == 3)
    }

    @Test("an unreadable trust file fails the attempt with tls_error, without a context")
    func missingFile() async throws {
        let tls = TLSOptions(trustRootsFile: "/nonexistent/upmon-trust.pem")
        let client = UpnodeClient(
            endpoint: .tls(host: "127.0.0.1", port: 1), configuration: testConfiguration(),
            tls: tls)
        let log = EventLog(client)
        client.start()
        defer { client.close() }
        #expect(
            await eventually {
                log.reasons(to: .down).first.map {
                    $0.code == "tls_error" && $0.detail?.contains("upmon-trust.pem") == true
                } ?? false
            })
        #expect(tls.contextCache.builds.load(ordering: .relaxed) == 0)
    }

    @Test(
        "a tls:// link to an IP address without a server name says what to give, not NIOSSL's words"
    )
    func ipAddressWithoutName() async throws {
        let directory = try temporaryDirectory()
        try TestCertificate.make("good", in: directory)
        var serverOptions = UpnodeServer.Options()
        serverOptions.tls = ServerTLSOptions(
            certificateFile: "\(directory)/good.pem", privateKeyFile: "\(directory)/good.key")
        let server = try await serve(.tcp(host: "127.0.0.1", port: 0), serverOptions: serverOptions)
        defer { Task { await server.close() } }
        guard case .tls(_, let port) = server.boundEndpoint else {
            Issue.record("not a TLS endpoint: \(server.boundEndpoint)")
            return
        }
        let trust = TLSOptions(trustRootsFile: "\(directory)/good.pem")
        let byAddress = UpnodeClient(
            endpoint: .tls(host: "127.0.0.1", port: port), configuration: testConfiguration(),
            tls: trust)
        let log = EventLog(byAddress)
        byAddress.start()
        defer { byAddress.close() }
        #expect(
            await eventually {
                log.reasons(to: .down).first.map {
                    $0.code == "tls_error"
                        && $0.detail?.contains("an IP address cannot be the name") == true
                        && $0.detail?.contains("tls_server_name") == true
                } ?? false
            }, "\(log.reasons(to: .down))")

        // With the certificate's name given, the same address works.
        let named = UpnodeClient(
            endpoint: .tls(host: "127.0.0.1", port: port), configuration: testConfiguration(),
            tls: TLSOptions(trustRootsFile: "\(directory)/good.pem", serverName: "localhost"))
        named.start()
        defer { named.close() }
        let sum = try await named.up(timeout: upGuard) {
            try await $0.request("add", [.int(2), .int(3)])
        }
        #expect(sum.json == [.int(5)])
    }
}
