import Testing

@testable import Upnode

@Suite("Endpoint parsing")
struct EndpointTests {
    @Test(
        "the documented forms and every host that was valid before still parse",
        arguments: [
            ("127.0.0.1:7000", Endpoint.tcp(host: "127.0.0.1", port: 7000)),
            ("localhost:1", .tcp(host: "localhost", port: 1)),
            ("api.internal:7443", .tcp(host: "api.internal", port: 7443)),
            (
                "billing-01.eu-west.example.com.:80",
                .tcp(host: "billing-01.eu-west.example.com.", port: 80)
            ),
            ("my_service:8080", .tcp(host: "my_service", port: 8080)),
            ("xn--bcher-kva.example:443", .tcp(host: "xn--bcher-kva.example", port: 443)),
            ("tcp://a:1", .tcp(host: "a", port: 1)),
            ("tls://example.org:443", .tls(host: "example.org", port: 443)),
            ("[::1]:9", .tcp(host: "::1", port: 9)),
            ("tls://[2001:db8::1]:7000", .tls(host: "2001:db8::1", port: 7000)),
            ("[::ffff:192.0.2.1]:7", .tcp(host: "::ffff:192.0.2.1", port: 7)),
            ("[fe80::1%eth0]:7000", .tcp(host: "fe80::1%eth0", port: 7000)),
            ("[127.0.0.1]:5", .tcp(host: "127.0.0.1", port: 5)),
            ("::1:7000", .tcp(host: "::1", port: 7000)),
            ("unix:/run/jobs.sock", .unix(path: "/run/jobs.sock")),
            ("unix:///tmp/a b=c.sock", .unix(path: "/tmp/a b=c.sock")),
        ])
    func valid(text: String, endpoint: Endpoint) throws {
        #expect(try Endpoint(parsing: text) == endpoint)
    }

    @Test(
        "a host with a character no host name or IP literal has is refused, naming it",
        arguments: [
            ("a=b=c:1", "'='"), ("b=c:1", "'='"), ("tls://a=b:1", "'='"), ("user@host:22", "'@'"),
            ("host/path:80", "'/'"), ("a b:1", "U+0020"), ("tab\there:1", "U+0009"),
            ("caf\u{E9}.example:1", "U+00E9"), ("a\u{0}b:1", "U+0000"),
            ("a]b:1", "']'"), ("[::1;x]:1", "';'"), ("[::1 ]:1", "U+0020"), ("ho%st:1", "'%'"),
            ("*.example:1", "'*'"), ("http://x:1", "'/'"), ("a,b:1", "','"),
        ])
    func badCharacter(text: String, character: String) {
        #expect(throws: UpnodeError.self) { try Endpoint(parsing: text) }
        do {
            _ = try Endpoint(parsing: text)
        } catch {
            let message = String(describing: error)
            #expect(
                message.contains("contains \(character), which cannot be in a host name"),
                "\(message)")
            #expect(message.hasPrefix("bad endpoint: '"), "\(message)")
        }
    }

    @Test("the message stays short for a huge host")
    func hugeHost() {
        let text = String(repeating: "h", count: 100_000) + "=:1"
        do {
            _ = try Endpoint(parsing: text)
            Issue.record("parsed")
        } catch {
            let message = String(describing: error)
            #expect(message.count < 300, "\(message.count)")
            #expect(message.contains("contains '='"))
        }
    }

    @Test("other endpoint errors are unchanged")
    func otherErrors() {
        func message(_ text: String) -> String? {
            do {
                _ = try Endpoint(parsing: text)
                return nil
            } catch {
                return String(describing: error)
            }
        }
        #expect(
            message("nowhere")
                == "bad endpoint: 'nowhere' has no port (want host:port, tls://host:port or unix:/path)"
        )
        #expect(message(":1") == "bad endpoint: ':1' has no host")
        #expect(
            message("a=b:x") == "bad endpoint: 'a=b:x': port 'x' is not a number from 0 to 65535")
        #expect(
            message("unix:") == "bad endpoint: 'unix:' has no socket path (want unix:/path/to.sock)"
        )
    }
}
