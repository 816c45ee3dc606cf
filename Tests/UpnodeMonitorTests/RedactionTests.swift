import DnodeProtocol
import Testing

@testable import UpnodeMonitor

@Suite("Redaction")
struct RedactionTests {
    @Test(
        "values become their shapes",
        arguments: [
            (JSONValue.null, JSONValue.null),
            (true, "<bool>"),
            (42, "<int>"),
            (4.2, "<double>"),
            ("hunter2", "<string>"),
            ("[Function]", "<fn>"),
            ([1, "a", nil, [false]], ["<int>", "<string>", nil, ["<bool>"]]),
            (
                ["user": "bob", "age": 7, "cb": "[Function]"],
                ["user": "<string>", "age": "<int>", "cb": "<fn>"]
            ),
            ([], []),
            ([:], [:]),
        ] as [(JSONValue, JSONValue)])
    func shapes(value: JSONValue, shape: JSONValue) {
        #expect(Redaction.shape(of: value) == shape)
    }

    @Test("arrays past 16 items are summarised")
    func longArrays() {
        let shape = Redaction.shape(of: .array((0..<20).map { .int(Int64($0)) }))
        #expect(shape.arrayValue?.count == 17)
        #expect(shape.arrayValue?.last == "<+4 more>")
        #expect(
            Redaction.shape(of: .array((0..<16).map { .int(Int64($0)) })).arrayValue?.count == 16)
    }

    @Test("objects past 32 keys put the rest under …")
    func wideObjects() throws {
        let members = (0..<40).map { ("k\($0)", JSONValue.int(Int64($0))) }
        let shape = Redaction.shape(of: .makeObject(members))
        let object = try #require(shape.objectValue)
        #expect(object.count == 33)
        #expect(object["k31"] == "<int>")
        #expect(object["k32"] == nil)
        #expect(object["…"] == "<+8 keys>")
    }

    @Test("nesting deeper than 8 becomes <deep>")
    func deepNesting() {
        var value: JSONValue = 1
        for _ in 0..<10 { value = [value] }
        var shape = Redaction.shape(of: value)
        var depth = 0
        while case .array(let items) = shape, let first = items.first {
            shape = first
            depth += 1
        }
        #expect(depth == 8)
        #expect(shape == "<deep>")
    }

    @Test("the auth call stays redacted even when recording arguments")
    func authCall() {
        let args: JSONValue = ["alice", "s3cret", "[Function]"]
        #expect(
            Redaction.recordedArguments(args, recordArgs: true, isAuthCall: true) == (
                "<redacted>", true
            ))
        #expect(
            Redaction.recordedArguments(args, recordArgs: true, isAuthCall: false) == (args, false))
        #expect(
            Redaction.recordedArguments(args, recordArgs: false, isAuthCall: false)
                == (["<string>", "<string>", "<fn>"], true))
        #expect(Redaction.remoteError("bad password", recordArgs: false) == ["remote": "<string>"])
    }
}
