import DnodeProtocol
import Foundation
import Testing

@testable import UpnodeMonitor

/// Golden transcripts captured from real Node peers (Tests/Fixtures/wire), fed to the tap's
/// decoder as the tap would see them.
enum WireTranscript {
    struct Line {
        let conn: Int
        let t: Double
        let direction: TapDirection
        let bytes: [UInt8]
    }

    static func load(_ name: String) throws -> [Line] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/wire/\(name).jsonl")
        let data = try Data(contentsOf: url)
        return try data.split(separator: 0x0A).map { raw in
            let record = try JSONValue(parsing: Array(raw))
            let direction: TapDirection = record["dir"]?.stringValue == "c2s" ? .c2s : .s2c
            return Line(
                conn: record["conn"]?.intValue ?? 1, t: record["t"]?.doubleValue ?? 0,
                direction: direction,
                bytes: Array((record["line"]?.stringValue ?? "").utf8))
        }
    }

    /// Every observation the decoder makes over the whole transcript, one decoder per
    /// connection (as the tap has); the decoder returned is the last connection's.
    static func decode(_ name: String, options: TapDecoder.Options = .init()) throws
        -> (TapDecoder, [TapDecoder.Observation])
    {
        var decoders: [Int: TapDecoder] = [:]
        var last = 1
        var out: [TapDecoder.Observation] = []
        for line in try load(name) {
            last = line.conn
            out += decoders[line.conn, default: TapDecoder(options: options)].feed(
                line: line.bytes, direction: line.direction, t: line.t)
        }
        return (decoders[last] ?? TapDecoder(options: options), out)
    }
}

extension TapDecoder.Observation {
    var callSummary: String? {
        switch self {
        case .call(let id, let method, let caller, _, let awaits):
            return "call \(id) \(caller.rawValue) \(method)\(awaits ? "" : " (no callback)")"
        case .result(let id, let method, _, let n, let ok, _, _, let late):
            return "result \(id) \(method) #\(n) \(ok ? "ok" : "error")\(late ? " late" : "")"
        case .unanswered(let id, let method, _, _, let reason):
            return "unanswered \(id) \(method) \(reason)"
        case .methods(let side, let names):
            return "methods \(side.rawValue) \(names.joined(separator: ","))"
        case .problem(let problem):
            return "problem \(problem.code) \(problem.direction.rawValue)"
        }
    }
}

@Suite("Tap decoder")
struct TapDecoderTests {
    @Test("simple-call: methods both ways, add/echo/time paired with their answers")
    func simpleCall() throws {
        let (decoder, out) = try WireTranscript.decode("simple-call")
        #expect(
            out.compactMap(\.callSummary) == [
                "methods client ping",
                "methods server add,auth,echo,fail,mark,ping,slow,subscribe,time",
                "call 1 client add", "result 1 add #1 ok",
                "call 2 client echo", "result 2 echo #1 ok",
                "call 3 client time", "result 3 time #1 ok",
            ])
        #expect(decoder.inFlight == 0)
        // The add answer came 2.497 ms after the call.
        guard case .result(_, _, _, _, _, let durMs, _, _)? = out.first(where: { $0.isResult })
        else {
            Issue.record("no result")
            return
        }
        #expect(abs(durMs - 2.497) < 0.0001)
    }

    @Test("error-callback: an Error in first place is an error answer")
    func errorFirst() throws {
        let (_, out) = try WireTranscript.decode("error-callback")
        #expect(
            out.compactMap(\.callSummary).suffix(2) == [
                "call 1 client fail", "result 1 fail #1 error",
            ])
        guard case .result(_, _, _, _, _, _, let payload, _)? = out.last else {
            Issue.record("no result")
            return
        }
        #expect(payload == .makeObject([("message", "<string>")]))
    }

    @Test("auth-denied: a lone string is a result by Node's habit, an error with first-arg")
    func errorRules() throws {
        let (_, node) = try WireTranscript.decode("auth-denied")
        #expect(node.compactMap(\.callSummary).last == "result 1 auth #1 ok")
        var strict = TapDecoder.Options()
        strict.errorRule = .firstArgument
        let (_, firstArg) = try WireTranscript.decode("auth-denied", options: strict)
        #expect(firstArg.compactMap(\.callSummary).last == "result 1 auth #1 error")
    }

    @Test("auth-accepted: functions inside an answer are named by their path and paired")
    func sessionFunctions() throws {
        let (_, out) = try WireTranscript.decode("auth-accepted")
        #expect(
            out.compactMap(\.callSummary).dropFirst(2) == [
                "call 1 client auth", "result 1 auth #1 ok",
                "call 2 client beep", "result 2 beep #1 ok",
                "call 3 client whoami", "result 3 whoami #1 ok",
            ])
    }

    @Test("callbacks-both-ways: streaming answers count after the first")
    func streaming() throws {
        let (_, out) = try WireTranscript.decode("callbacks-both-ways")
        let summaries = out.compactMap(\.callSummary)
        let subscribe = summaries.drop { !$0.hasSuffix("client subscribe") }.prefix(4)
        #expect(
            Array(subscribe) == [
                "call 4 client subscribe", "result 4 subscribe #1 ok",
                "result 4 subscribe #2 ok", "result 4 subscribe #3 ok",
            ])
        // The function the server passed back is called by its path.
        #expect(summaries.contains("call 2 client nested.fn"))
        #expect(!summaries.contains { $0.hasPrefix("problem") })
    }

    @Test("heartbeat: the server's pings of the client's ping are calls by the server")
    func heartbeat() throws {
        let (decoder, out) = try WireTranscript.decode("heartbeat")
        let calls = out.compactMap { observation -> String? in
            guard case .call(_, let method, let caller, _, _) = observation else { return nil }
            return "\(caller.rawValue) \(method)"
        }
        #expect(calls.filter { $0 == "server ping" }.count == 2)
        #expect(calls.filter { $0 == "client ping" }.count == 12)
        #expect(out.allSatisfy { !$0.isProblem })
        #expect(decoder.inFlight == 0)
    }

    @Test("cull: culls after the answers are quiet; every transcript call is paired")
    func cullTranscript() throws {
        let (decoder, out) = try WireTranscript.decode("cull")
        #expect(out.allSatisfy { !$0.isProblem })
        #expect(!out.contains { if case .unanswered = $0 { true } else { false } })
        #expect(decoder.inFlight == 0)
    }

    @Test("every golden transcript decodes without an unpaired call")
    func allTranscripts() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/wire")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".jsonl") && !$0.hasPrefix("quirk-") }
            .map { String($0.dropLast(6)) }
        #expect(names.count >= 10)
        for name in names {
            let (_, out) = try WireTranscript.decode(name)
            let problems = out.filter(\.isProblem)
            #expect(problems.isEmpty, "\(name): \(problems)")
        }
    }

    @Test("a call with no answer is unanswered after the configured time; a late answer says so")
    func unansweredAndLate() {
        var options = TapDecoder.Options()
        options.unansweredAfter = 5
        var decoder = Self.ready(options)
        _ = decoder.feed(line: Self.call(method: 0, reply: 1), direction: .c2s, t: 1)
        #expect(decoder.inFlight == 1)
        #expect(decoder.expire(now: 5.9).isEmpty)
        let expired = decoder.expire(now: 6)
        #expect(expired.compactMap(\.callSummary) == ["unanswered 1 slow timeout"])
        #expect(decoder.inFlight == 0)
        let late = decoder.feed(line: Self.answer(1, "null"), direction: .s2c, t: 7)
        #expect(late.compactMap(\.callSummary) == ["result 1 slow #1 ok late"])
    }

    @Test("cull of an unanswered reply callback ends the call; closing reports the rest")
    func cullAndClose() {
        var decoder = Self.ready()
        _ = decoder.feed(line: Self.call(method: 0, reply: 1), direction: .c2s, t: 1)
        _ = decoder.feed(line: Self.call(method: 1, reply: 2), direction: .c2s, t: 1)
        let culled = decoder.feed(
            line: Array(#"{"method":"cull","arguments":[1]}"#.utf8), direction: .s2c, t: 2)
        #expect(culled.compactMap(\.callSummary) == ["unanswered 1 slow culled"])
        let closed = decoder.close(at: 3)
        #expect(closed.compactMap(\.callSummary) == ["unanswered 2 add closed"])
        #expect(decoder.inFlight == 0)
        #expect(decoder.pendingReplies == 0)
    }

    @Test("the pending table is capped: the oldest reply callback is evicted and counted")
    func eviction() {
        var options = TapDecoder.Options()
        options.maxPending = 2
        var decoder = Self.ready(options)
        var out: [TapDecoder.Observation] = []
        for id in 1...5 {
            out += decoder.feed(line: Self.call(method: 0, reply: id), direction: .c2s, t: 1)
        }
        #expect(
            out.compactMap(\.callSummary).filter { $0.hasPrefix("unanswered") } == [
                "unanswered 1 slow evicted", "unanswered 2 slow evicted",
                "unanswered 3 slow evicted",
            ])
        #expect(decoder.counters.evicted == 3)
        #expect(decoder.pendingReplies == 2)
        // The evicted call's answer can no longer be paired.
        let stray = decoder.feed(line: Self.answer(1, "null"), direction: .s2c, t: 2)
        #expect(stray.compactMap(\.callSummary) == ["problem unpaired s2c"])
        let kept = decoder.feed(line: Self.answer(5, "null"), direction: .s2c, t: 2)
        #expect(kept.compactMap(\.callSummary) == ["result 5 slow #1 ok"])
    }

    @Test("garbage, a null line and a bad field are reported as malformed, decoding goes on")
    func badInput() {
        var decoder = Self.ready()
        var out: [TapDecoder.Observation] = []
        for garbage in ["not json", "", "null", #"{"method":-1}"#, "[1,2]", "{\"method\":"] {
            out += decoder.feed(line: Array(garbage.utf8), direction: .c2s, t: 1)
        }
        #expect(out.count == 6)
        #expect(out.allSatisfy { $0.isProblem })
        #expect(decoder.counters.malformed == 6)
        let after = decoder.feed(line: Self.call(method: 1, reply: 1), direction: .c2s, t: 2)
        #expect(after.compactMap(\.callSummary) == ["call 1 client add"])
    }

    @Test("arguments are shapes unless recorded")
    func redaction() {
        var decoder = Self.ready()
        let out = decoder.feed(line: Self.call(method: 1, reply: 1), direction: .c2s, t: 1)
        guard case .call(_, _, _, let args, _)? = out.first else {
            Issue.record("no call")
            return
        }
        #expect(args == ["<int>", "<fn>"])
        var options = TapDecoder.Options()
        options.recordArguments = true
        var recording = Self.ready(options)
        let kept = recording.feed(line: Self.call(method: 1, reply: 1), direction: .c2s, t: 1)
        guard case .call(_, _, _, let values, _)? = kept.first else {
            Issue.record("no call")
            return
        }
        #expect(values == [7, "[Function]"])
    }

    // MARK: Helpers

    /// A decoder after the server exported `slow` (0) and `add` (1).
    static func ready(_ options: TapDecoder.Options = .init()) -> TapDecoder {
        var decoder = TapDecoder(options: options)
        _ = decoder.feed(
            line: Array(
                #"{"method":"methods","arguments":[{"slow":"[Function]","add":"[Function]"}],"callbacks":{"0":["0","slow"],"1":["0","add"]},"links":[]}"#
                    .utf8), direction: .s2c, t: 0)
        return decoder
    }

    static func call(method: Int, reply: Int) -> [UInt8] {
        Array(
            #"{"method":\#(method),"arguments":[7,"[Function]"],"callbacks":{"\#(reply)":["1"]},"links":[]}"#
                .utf8)
    }

    static func answer(_ reply: Int, _ first: String) -> [UInt8] {
        Array(#"{"method":\#(reply),"arguments":[\#(first)],"callbacks":{},"links":[]}"#.utf8)
    }
}

extension TapDecoder.Observation {
    var isResult: Bool { if case .result = self { true } else { false } }
    var isProblem: Bool { if case .problem = self { true } else { false } }
}
