import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real binary says why a link is not up: `--once` (text and JSON) and `upmon call`.
@Suite(
    "upmon says why a link is down", .enabled(if: UpmonBinary.isAvailable),
    .timeLimit(.minutes(1)))
struct ReasonOutputTests {
    /// A loopback port nothing listens on: bound (not listening) to learn it, then closed,
    /// so a connect is refused at once.
    func closedPort() async throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("--once prints a table with the reason; exit 1 as with --once --json")
    func onceText() async throws {
        let port = try await closedPort()
        let result = try UpmonProcess.run(["--once", "--wait", "3s", "gone=127.0.0.1:\(port)"])
        result.expectNoCrash()
        #expect(result.code == 1, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.dropFirst().first?.hasPrefix("NAME") == true, "\(result.stdout)")
        #expect(lines.last?.hasPrefix("gone") == true, "\(result.stdout)")
        #expect(lines.last?.contains("connection refused") == true, "\(result.stdout)")
        #expect(!result.stdout.contains("{"))
    }

    @Test("--once --json has reason and since for a link that is not up")
    func onceJSON() async throws {
        let port = try await closedPort()
        let result = try UpmonProcess.run([
            "--once", "--json", "--wait", "3s", "gone=127.0.0.1:\(port)",
        ])
        #expect(result.code == 1)
        let link = try JSONValue(parsing: result.stdout)["connections"]?.arrayValue?.first
        #expect(link?["reason"] == "connection refused", "\(result.stdout)")
        #expect(link?["since"]?.doubleValue != nil, "\(result.stdout)")
        #expect(link?["state"] != "up")
    }

    @Test("upmon call names the reason while it waits and when it gives up")
    func callSaysWhy() async throws {
        let port = try await closedPort()
        let name = "127.0.0.1:\(port)"
        let result = try UpmonProcess.run(["call", name, "add", "1", "2", "--timeout", "2500ms"])
        result.expectNoCrash()
        #expect(result.code == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let queued = lines.filter { $0.hasSuffix("the call is queued") }
        // Once, not once per attempt: the reason stays the same.
        #expect(queued.count == 1, "\(result.stderr)")
        #expect(
            queued.first?.hasPrefix("upmon: \(name) is down (connection refused, ") == true,
            "\(result.stderr)")
        let failed = lines.last ?? ""
        #expect(
            failed.hasPrefix("upmon: add on \(name) failed (timeout): "), "\(result.stderr)")
        #expect(
            failed.contains("; \(name) was down (connection refused, "), "\(result.stderr)")
    }
}
