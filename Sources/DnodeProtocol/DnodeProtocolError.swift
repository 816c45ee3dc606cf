/// Everything that can be wrong with what a peer sent or what the application asked for.
public enum DnodeProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line is not valid JSON; the ``JSONError`` says what and at which byte.
    case malformedJSON(JSONError)
    /// The line's bytes are not valid UTF-8.
    case invalidUTF8
    /// A line grew past `limit` bytes before its newline (`bytes` were seen). Fatal: the framing
    /// is lost, so the link must be closed; raise the limit if the peer's lines are legitimate.
    case lineTooLong(bytes: Int, limit: Int)
    /// The line is JSON but not an object (`found` names what it is: "array", "string", …).
    case notAnObject(found: String)
    /// A message field (`method`, `arguments`, `callbacks`, `links` or a path inside them) has
    /// the wrong shape; `problem` says what was expected.
    case badField(field: String, problem: String)
    /// The named method is not exported (by the peer for an outgoing call, by us for an
    /// incoming one), or a local function was asked to be called on the peer.
    case unknownMethod(String)
    /// The peer called a callback id we never sent or already released (one-shot, or culled).
    case unknownCallback(Int)
    /// A callback or link path of an incoming message cannot be applied to its arguments
    /// (too deep, missing, or through a value that is not an object or array).
    case invalidPath([String], problem: String)
    /// An outgoing ``DnodeValue/cycle(levelsUp:)`` points above the root of the arguments.
    case invalidCycle(levelsUp: Int, depth: Int)
    /// Sending would hold more than `limit` local callbacks
    /// (``DnodeSession/Limits-swift.struct/maxCallbacks``): release one-shot callbacks or raise it.
    case callbackTableFull(limit: Int)
    /// An incoming message's `links` would copy more than `limit` values
    /// (``DnodeSession/Limits-swift.struct/maxLinkedValues``); the message is refused.
    case argumentsTooLarge(limit: Int)
    /// A call was made before the peer's `methods` message arrived; wait for
    /// ``DnodeSession/Action/remoteReady(remote:methods:isRepeat:)``.
    case remoteNotReady
    /// A remote callback from an earlier connection (another session id) was called or sent:
    /// callback ids do not survive a reconnect, so get a fresh handle from the new connection.
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
