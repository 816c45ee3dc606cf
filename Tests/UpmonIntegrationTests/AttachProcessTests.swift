import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The example app (`Examples/AttachDemo`), built next to the `upmon` binary.
enum AttachDemoBinary {
    static let path =
        (UpmonBinary.path as NSString).deletingLastPathComponent
        + "/upmon-attach-demo"
    static var isAvailable: Bool {
        UpmonBinary.isAvailable && FileManager.default.isExecutableFile(atPath: path)
    }
}

/// The JSON lines a child has written to `path` so far (a cut-off last line is left out).
func jsonLines(_ path: String) -> [JSONValue] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return data.split(separator: UInt8(ascii: "\n")).compactMap {
        try? JSONValue(parsing: Array($0))
    }
}

@Suite(
    "upmon attach against the example app", .enabled(if: AttachDemoBinary.isAvailable),
    .timeLimit(.minutes(2)))
struct AttachProcessTests {
    @Test(
        "attach --json: the app's two links come up with its calls; the app goes away (detached) and comes back"
    )
    func attachJSON() async throws {
        let directory = "/tmp/upmon-at-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let servers = try ["one", "two"].map { name in
            try ChildProcess(
                UpmonBinary.path, ["serve", "--unix", "\(directory)/\(name).srv", "--quiet"])
        }
        defer { for server in servers { server.terminate() } }
        let socket = directory + "/app.sock"
        let demoArguments = [
            socket, "billing=unix:\(directory)/one.srv", "search=unix:\(directory)/two.srv",
        ]
        var demo = try ChildProcess(AttachDemoBinary.path, demoArguments)
        defer { demo.terminate() }
        #expect(
            await eventually(timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: socket)
            },
            "the demo never opened its endpoint")

        let output = directory + "/attach.jsonl"
        let attach = try Spawn.start(
            UpmonBinary.path, ["attach", "--json", "unix:" + socket], stdoutPath: output,
            stderrPath: directory + "/attach.err")
        defer {
            kill(attach, SIGKILL)
            var status: Int32 = 0
            waitpid(attach, &status, 0)
        }
        func seen(_ match: @escaping (JSONValue) -> Bool) async -> Bool {
            await eventually(timeout: .seconds(60)) { jsonLines(output).contains(where: match) }
        }
        func isUp(_ conn: String) -> (JSONValue) -> Bool {
            {
                $0["kind"]?.stringValue == "state" && $0["conn"]?.stringValue == conn
                    && $0["to"]?.stringValue == "up"
            }
        }
        #expect(await seen(isUp("c1")), "billing never up: \(jsonLines(output).prefix(5))")
        #expect(await seen(isUp("c2")))
        let header = jsonLines(output).first
        #expect(
            header?["connections"]?.arrayValue?.map { $0["name"]?.stringValue } == [
                "billing", "search",
            ])
        #expect(
            header?["connections"]?.arrayValue?.first?["endpoint"]?.stringValue
                == "unix:\(directory)/one.srv")
        // The app's own calls, with their results, as shapes.
        #expect(
            await seen {
                $0["kind"]?.stringValue == "call" && $0["method"]?.stringValue == "add"
                    && $0["args"] == ["<int>", "<int>"]
            })
        #expect(await seen { $0["kind"]?.stringValue == "result" && $0["ok"] == true })

        // The app goes away: its links go down as detached.
        kill(demo.pid, SIGTERM)
        var status: Int32 = 0
        waitpid(demo.pid, &status, 0)
        #expect(
            await seen {
                $0["kind"]?.stringValue == "state" && $0["to"]?.stringValue == "down"
                    && $0["reason"]?.stringValue == "detached"
            })
        // It comes back on the same socket: attach reattaches on its own.
        let upsBefore = jsonLines(output).filter(isUp("c1")).count
        demo = try ChildProcess(AttachDemoBinary.path, demoArguments)
        #expect(
            await eventually(timeout: .seconds(60)) {
                jsonLines(output).filter(isUp("c1")).count > upsBefore
            }, "not attached again")

        kill(attach, SIGTERM)
        waitpid(attach, &status, 0)
        #expect(jsonLines(output).last?["kind"]?.stringValue == "end")
    }

    @Test("attach to a socket nobody serves: exit 1, saying which and why")
    func nothingThere() throws {
        let directory = "/tmp/upmon-at-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let errors = directory + "/err"
        let code = try Spawn.run(
            UpmonBinary.path, ["attach", "--json", directory + "/none.sock"], stdoutPath: nil,
            stderrPath: errors)
        #expect(code == 1)
        let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        #expect(text.contains("cannot attach to \(directory)/none.sock: no such socket"))
    }
}
