import DnodeProtocol
import Testing
import Upnode

@testable import UpmonApp

@Suite("Config file and command-line connections")
struct ConfigTests {
    @Test("a full config parses: globals, sections, durations, tls, auth by env reference")
    func fullConfig() throws {
        let text = """
            theme = light
            latency_warn_ms = 50   # warn early
            queue_stuck_after = 4s

            [api]
            endpoint = 127.0.0.1:7000
            ping = 1s
            timeout = 800ms
            reconnect = exponential
            auth_method = auth
            auth_args = env:API_USER "two words" {"k": [1, 2]}

            [jobs]
            endpoint = unix:/run/jobs.sock
            reconnect = 250ms

            [secure]
            endpoint = api.internal:7443
            tls = on
            tls_ca = /etc/ssl/ca.pem
            """
        let config = try UpmonConfig.parse(text, file: "upmon.conf")
        #expect(config.theme == "light")
        #expect(config.thresholds.latencyWarnMs == 50)
        #expect(config.thresholds.queueStuckAfterMs == 4000)
        #expect(config.connections.map(\.name) == ["api", "jobs", "secure"])
        let api = config.connections[0]
        #expect(api.endpoint == .tcp(host: "127.0.0.1", port: 7000))
        #expect(api.link.pingInterval == .seconds(1))
        #expect(api.link.pingTimeout == .milliseconds(800))
        #expect(api.link.reconnect.description == "exponential")
        #expect(api.auth?.method == "auth")
        #expect(
            api.auth?.arguments == [
                .environment("API_USER"), .literal("two words"), .literal(["k": [1, 2]]),
            ])
        #expect(config.connections[1].endpoint == .unix(path: "/run/jobs.sock"))
        #expect(config.connections[1].link.reconnect.description == "fixed 250ms")
        #expect(config.connections[2].endpoint == .tls(host: "api.internal", port: 7443))
        #expect(config.connections[2].tls?.trustRootsFile == "/etc/ssl/ca.pem")
    }

    @Test(
        "bad configs name file, line and field",
        arguments: [
            (
                "[api]\nendpoint = nowhere",
                "c.conf:2: endpoint: bad endpoint: 'nowhere' has no port (want host:port, tls://host:port or unix:/path)"
            ),
            (
                "[api]\nendpoint = a=b:1",
                "c.conf:2: endpoint: bad endpoint: 'a=b:1': host 'a=b' contains '=', which cannot be in a host name (want a DNS name of letters, digits, '-', '.' and '_', an IPv4 address or [ipv6])"
            ),
            ("[api]\nping = 1s", "c.conf:1: [api] has no 'endpoint'"),
            (
                "[api]\nendpoint = a:1\npnig = 1s",
                "c.conf:3: unknown key 'pnig' (did you mean 'ping'?)"
            ),
            (
                "endpoint = a:1",
                "c.conf:1: unknown setting 'endpoint'; connection keys go under a [name] section"
            ),
            (
                "[api]\nendpoint = a:1\nping = soon",
                "c.conf:3: ping: 'soon' is not a duration (like 800ms, 1s, 2m)"
            ),
            (
                "[api]\nendpoint = a:1\n[api]\nendpoint = b:2",
                "c.conf:3: connection 'api' is defined twice"
            ),
            (
                "[api]\nendpoint = a:1\nping = 1s\nping = 2s",
                "c.conf:4: 'ping' already set on line 3"
            ),
            ("[api\nendpoint = a:1", "c.conf:1: bad section header '[api' (want [name])"),
            ("just words", "c.conf:1: expected 'key = value', got 'just words'"),
            ("[api]\nendpoint = a:1\nauth_args = env:X", "c.conf:3: auth_args needs auth_method"),
            (
                "[api]\nendpoint = a:1\nauth_method = auth\nauth_args = user",
                "c.conf:4: auth_args: 'user' is neither env:NAME nor JSON (unexpected 'u' at byte 0); quote strings"
            ),
            ("[api]\nendpoint = a:1\ntls = maybe", "c.conf:3: tls: 'maybe' is not on or off"),
        ])
    func badConfig(text: String, message: String) {
        #expect(throws: ConfigError.self) { try UpmonConfig.parse(text, file: "c.conf") }
        do {
            _ = try UpmonConfig.parse(text, file: "c.conf")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test(
        "command-line connections",
        arguments: [
            ("127.0.0.1:7000", "127.0.0.1:7000", Endpoint.tcp(host: "127.0.0.1", port: 7000)),
            ("api=127.0.0.1:7000", "api", .tcp(host: "127.0.0.1", port: 7000)),
            ("unix:/tmp/x.sock", "unix:/tmp/x.sock", .unix(path: "/tmp/x.sock")),
            (
                "tls://example.org:443", "tls://example.org:443",
                .tls(host: "example.org", port: 443)
            ),
            ("v6=[::1]:9", "v6", .tcp(host: "::1", port: 9)),
        ])
    func commandLine(text: String, name: String, endpoint: Endpoint) throws {
        let spec = try ConnectionSpec(commandLine: text)
        #expect(spec.name == name)
        #expect(spec.endpoint == endpoint)
    }

    @Test(
        "auth arguments resolve from the environment at connect time; a missing variable is named")
    func authEnvironment() {
        let auth = AuthSpec(method: "auth", arguments: [.environment("U"), .literal(7)])
        guard case .success(let values) = auth.resolve(environment: ["U": "alice"]) else {
            Issue.record("expected success")
            return
        }
        #expect(values.map(\.json) == ["alice", 7])
        guard case .failure(let missing) = auth.resolve(environment: [:]) else {
            Issue.record("expected a missing variable")
            return
        }
        #expect(missing.description == "environment variable U (named in auth_args) is not set")
    }
}

@Suite("Config: max_line")
struct MaxLineConfigTests {
    @Test("mouse = off / on in the globals; anything else names the line")
    func mouseKey() throws {
        #expect(try UpmonConfig.parse("theme = light", file: "c.conf").mouse == nil)
        #expect(try UpmonConfig.parse("mouse = off", file: "c.conf").mouse == false)
        #expect(
            try UpmonConfig.parse("mouse = on\n[a]\nendpoint = a:1", file: "c.conf").mouse == true)
        #expect(throws: ConfigError.self) { try UpmonConfig.parse("mouse = maybe", file: "c.conf") }
        do {
            _ = try UpmonConfig.parse("\nmouse = 1e400", file: "c.conf")
        } catch {
            #expect(error.description == "c.conf:2: mouse: '1e400' is not on or off")
        }
    }

    @Test("max_line takes binary sizes and bare bytes; the default is 16 MiB")
    func sizes() throws {
        let cases: [(String, Int)] = [
            ("16MiB", 16 << 20), ("8M", 8 << 20), ("512KiB", 512 << 10), ("1GiB", 1 << 30),
            ("65536", 65_536), ("2 MiB", 2 << 20), ("1.5M", 3 << 19),
        ]
        for (text, bytes) in cases {
            let config = try UpmonConfig.parse(
                "[a]\nendpoint = 127.0.0.1:7000\nmax_line = \(text)\n", file: "upmon.conf")
            #expect(config.connections[0].link.maxLineBytes == bytes, "\(text)")
        }
        let plain = try UpmonConfig.parse("[a]\nendpoint = 127.0.0.1:7000\n", file: "upmon.conf")
        #expect(plain.connections[0].link.maxLineBytes == 16 << 20)
    }

    @Test("a bad max_line names the file, line, value and the accepted range")
    func badSizes() {
        for text in ["12", "2GiB", "-1M", "lots", "1e400", "16 TiB"] {
            do {
                _ = try UpmonConfig.parse(
                    "[a]\nendpoint = 127.0.0.1:7000\nmax_line = \(text)\n", file: "upmon.conf")
                Issue.record("'\(text)' was accepted")
            } catch {
                #expect(error.file == "upmon.conf" && error.line == 3, "\(text)")
                #expect(error.message.contains("max_line"), "\(text): \(error.message)")
                #expect(error.message.contains("1KiB to 1GiB"), "\(text): \(error.message)")
            }
        }
    }
}
