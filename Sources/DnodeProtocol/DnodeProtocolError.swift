/// Everything that can be wrong with what a peer sent or what the application asked for.
public enum DnodeProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedJSON(JSONError)
    case invalidUTF8
    case lineTooLong(bytes: Int, limit: Int)
    case notAnObject(found: String)
    case badField(field: String, problem: String)
    case unknownMethod(String)
    case unknownCallback(Int)
    case invalidPath([String], problem: String)
    case invalidCycle(levelsUp: Int, depth: Int)
    case callbackTableFull(limit: Int)
    case argumentsTooLarge(limit: Int)
    case remoteNotReady
    case staleCallback(RemoteCallback)

    /// True when the link cannot go on after this error (framing is lost).
    public var isFatal: Bool {
        if case .lineTooLong = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .malformedJSON(let error): "malformed JSON line: \(error)"
        case .invalidUTF8: "line is not valid UTF-8"
        case .lineTooLong(let bytes, let limit):
            "line of \(bytes)+ bytes exceeds the \(limit)-byte limit"
        case .notAnObject(let found): "message is a JSON \(found), expected an object"
        case .badField(let field, let problem): "message field '\(Self.shown(field))': \(problem)"
        case .unknownMethod(let name): "no method named '\(Self.shown(name))'"
        case .unknownCallback(let id): "no callback with id \(id) (never sent, or released)"
        case .invalidPath(let path, let problem):
            "callback path \(Self.shown("\(path)", limit: 200)) \(problem)"
        case .invalidCycle(let levelsUp, let depth):
            "cycle \(levelsUp) levels up from depth \(depth) points outside the arguments"
        case .callbackTableFull(let limit):
            "callback table is full (\(limit) callbacks); release callbacks or raise the limit"
        case .argumentsTooLarge(let limit): "arguments expand to more than \(limit) values"
        case .remoteNotReady: "the remote has not sent its methods yet"
        case .staleCallback(let callback): "\(callback) belongs to an earlier connection"
        }
    }

    /// Peer-supplied text as it may appear in a warning: control characters escaped (a
    /// warning can reach a terminal or a log line) and at most `limit` characters.
    public static func shown(_ text: String, limit: Int = 80) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                result += "…"
                break
            }
            if scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return result
    }
}
