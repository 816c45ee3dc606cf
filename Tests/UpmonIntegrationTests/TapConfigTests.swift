import Testing
import Upnode
import UpnodeTap

@testable import UpmonApp

/// `tap =` in a link's section: parsed, refused with `file:line:` when it cannot work, turned
/// into tap routes after the links, and reported as needing a restart when a reload changes it.
@Suite("Config: tap =")
struct TapConfigTests {
    @Test("a link with tap = listens there and connects on to its endpoint, with its TLS settings")
    func parses() throws {
        let config = try UpmonConfig.parse(
            """
            [api]
            endpoint = 127.0.0.1:7000
            tap = 127.0.0.1:7001

            [plain]
            endpoint = unix:/run/plain.sock

            [secure]
            tap = tls://0.0.0.0:7443
            tap_key = /etc/upmon/tap.key
            endpoint = db.internal:7443
            tls_ca = /etc/ssl/ca.pem
            tap_cert = /etc/upmon/tap.pem

            [local]
            endpoint = unix:/run/local.sock
            tap = unix:/run/local-tap.sock
            """, file: "c.conf")
        let links = config.connections
        #expect(links[0].tap == TapSpec(listen: .tcp(host: "127.0.0.1", port: 7001)))
        #expect(links[1].tap == nil)
        #expect(
            links[2].tap
                == TapSpec(
                    listen: .tls(host: "0.0.0.0", port: 7443),
                    certificateFile: "/etc/upmon/tap.pem", privateKeyFile: "/etc/upmon/tap.key"))
        #expect(links[3].tap == TapSpec(listen: .unix(path: "/run/local-tap.sock")))

        let taps = ConfigTaps.taps(for: links, recordsArguments: false)
        #expect(taps.map(\.route.id) == ["c5", "c6", "c7"])
        #expect(taps.map(\.route.name) == ["api-tap", "secure-tap", "local-tap"])
        #expect(taps.map(\.route.target) == links.filter { $0.tap != nil }.map(\.endpoint))
        #expect(taps[1].route.target == .tls(host: "db.internal", port: 7443))
        #expect(taps[1].route.targetTLS?.trustRootsFile == "/etc/ssl/ca.pem")
        #expect(taps[1].route.listenTLS?.certificateFile == "/etc/upmon/tap.pem")
        #expect(taps[0].route.targetTLS == nil)
        #expect(taps[0].route.listenTLS == nil)
        // The tap's row lists the link's endpoint, as `upmon tap`'s lists its target.
        #expect(taps[0].route.info.endpoint == "tcp://127.0.0.1:7000")
    }

    @Test(
        "hostile or impossible tap values are refused with file:line",
        arguments: [
            (
                "[api]\nendpoint = a:1\ntap = nowhere",
                "c.conf:3: tap: bad endpoint: 'nowhere' has no port (want host:port, tls://host:port or unix:/path)"
            ),
            (
                "[api]\nendpoint = a:1\ntap = 127.0.0.1:99999",
                "c.conf:3: tap: bad endpoint: '127.0.0.1:99999': port '99999' is not a number from 0 to 65535"
            ),
            (
                "[api]\nendpoint = a:1\ntap = exec:cat",
                "c.conf:3: tap: 'exec:cat' is not an address to listen on (want host:port, tls://host:port or unix:/path)"
            ),
            (
                "[api]\nendpoint = exec:ssh db nc 127.0.0.1 7000\ntap = 127.0.0.1:7001",
                "c.conf:3: tap: a tap connects on to host:port, tls://host:port or unix:/path; this link's endpoint is exec:ssh db nc 127.0.0.1 7000"
            ),
            (
                "[api]\nendpoint = 127.0.0.1:7000\ntap = tcp://127.0.0.1:7000",
                "c.conf:3: tap: listens where the link's endpoint is (127.0.0.1:7000): the tap would connect to itself; give it an address of its own"
            ),
            (
                "[api]\nendpoint = a:1\ntap = tls://127.0.0.1:7443\ntap_cert = /x.pem",
                "c.conf:3: tap: a tls:// tap needs tap_cert and tap_key (its certificate chain and private key, PEM files)"
            ),
            (
                "[api]\nendpoint = a:1\ntap = 127.0.0.1:7001\ntap_key = /x.key",
                "c.conf:4: tap_key is for a tls:// tap, and 'tap = 127.0.0.1:7001' is not"
            ),
            (
                "[api]\nendpoint = a:1\ntap_cert = /x.pem",
                "c.conf:3: tap_cert needs 'tap = tls://host:port' (where the tap listens)"
            ),
            (
                "[api]\nendpoint = a:1\ntap = 127.0.0.1:7001\n[db]\nendpoint = b:2\ntap = 127.0.0.1:7001",
                "c.conf:6: tap: [api] already has a tap there"
            ),
            (
                "[api]\nendpoint = a:1\ntap = 127.0.0.1:7001\ntap = 127.0.0.1:7002",
                "c.conf:4: 'tap' already set on line 3"
            ),
            (
                "tap = 127.0.0.1:7001",
                "c.conf:1: unknown setting 'tap'; connection keys go under a [name] section"
            ),
            (
                "[api]\nendpoint = a:1\ntap = unix:/\(String(repeating: "s", count: 200))",
                "c.conf:3: tap: socket path '/\(String(repeating: "s", count: 59))…' is 201 bytes; unix socket paths are at most 107"
            ),
        ])
    func refused(text: String, message: String) {
        #expect(throws: ConfigError.self) { try UpmonConfig.parse(text, file: "c.conf") }
        do {
            _ = try UpmonConfig.parse(text, file: "c.conf")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test(":connect does not take the tap keys (taps are set up at start)")
    func notInConnect() {
        #expect(!ConnectCommand.keys.contains("tap"))
        #expect(throws: ConfigError.self) {
            try ConnectCommand.parse("api=127.0.0.1:7000 tap=127.0.0.1:7001")
        }
    }

    @Test(
        "a reload that adds, changes or removes a tap says it needs a restart; other changes do not"
    )
    func reloadSaysRestart() throws {
        func links(_ text: String) throws -> [ConnectionSpec] {
            try UpmonConfig.parse(text, file: "c.conf").connections
        }
        var registry = LinkRegistry(
            specs: try links(
                """
                [api]
                endpoint = 127.0.0.1:7000
                tap = 127.0.0.1:7001
                [db]
                endpoint = 127.0.0.1:7100
                tap = 127.0.0.1:7101
                [cache]
                endpoint = 127.0.0.1:7200
                tap = 127.0.0.1:7201
                """
            ).map {
                var spec = $0
                spec.origin = .configFile
                return spec
            })
        let plan = registry.reload(
            try links(
                """
                [api]
                endpoint = 127.0.0.1:7000
                tap = 127.0.0.1:7001
                ping = 2s
                [db]
                endpoint = 127.0.0.1:7100
                tap = 127.0.0.1:7102
                [queue]
                endpoint = 127.0.0.1:7300
                tap = 127.0.0.1:7301
                """
            ))
        // api's ping changed (the link restarts), its tap did not.
        #expect(plan.changed.map(\.new.spec.name) == ["api"])
        #expect(plan.tapsNeedingRestart == ["db", "queue", "cache"])
        #expect(
            plan.summary
                == "1 added (queue), 1 removed (cache), 1 changed (api: ping), 1 unchanged;"
                + " taps are set up at start, restart upmon to apply the tap change of db, queue,"
                + " cache")
        // The endpoint a tap connects to is the tap's too.
        let moved = registry.reload(
            try links(
                """
                [api]
                endpoint = 127.0.0.1:7009
                tap = 127.0.0.1:7001
                ping = 2s
                [db]
                endpoint = 127.0.0.1:7100
                tap = 127.0.0.1:7102
                [queue]
                endpoint = 127.0.0.1:7300
                tap = 127.0.0.1:7301
                """
            ))
        // db's tap still runs where upmon started it (7101), so it still needs the restart.
        #expect(moved.tapsNeedingRestart == ["api", "db"])
    }
}
