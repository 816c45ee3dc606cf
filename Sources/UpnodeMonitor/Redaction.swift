import DnodeProtocol

/// Replaces call arguments and results with their shape (docs/RECORDING.md, "Redaction").
///
/// Recordings and logs may be shared, so by default they show what kind of value went over
/// the wire but not the value itself.
public enum Redaction {
    /// Items kept per array before the rest is summarised as `"<+N more>"`.
    public static let maxItems = 16
    /// Keys kept per object before the rest goes under `"…"` as `"<+N keys>"`.
    public static let maxKeys = 32
    /// Containers nested deeper than this become `"<deep>"`.
    public static let maxDepth = 8
    /// How callbacks appear in call arguments that arrive as JSON.
    public static let functionPlaceholder = "[Function]"
    /// What the auth call's arguments are always replaced with, even with `--record-args`.
    public static let redactedMarker: JSONValue = "<redacted>"

    /// The shape of `value`. The exact string `"[Function]"` counts as a callback (`"<fn>"`).
    public static func shape(of value: JSONValue) -> JSONValue {
        shape(of: value, depth: 0)
    }

    /// Arguments as they should be recorded: the auth call is always redacted; other calls
    /// keep their values only when `recordArgs` is set.
    public static func recordedArguments(
        _ args: JSONValue, recordArgs: Bool, isAuthCall: Bool
    ) -> (args: JSONValue, redacted: Bool) {
        if isAuthCall { return (redactedMarker, true) }
        return recordArgs ? (args, false) : (shape(of: args), true)
    }

    /// A remote error as recorded: `{"remote": value or shape}`. Library errors such as
    /// `{"code":"timeout"}` carry no payload and are written as they are.
    public static func remoteError(_ error: JSONValue, recordArgs: Bool) -> JSONValue {
        .makeObject([("remote", recordArgs ? error : shape(of: error))])
    }

    private static func shape(of value: JSONValue, depth: Int) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool: return "<bool>"
        case .int: return "<int>"
        case .double: return "<double>"
        case .string(let text): return text == functionPlaceholder ? "<fn>" : "<string>"
        case .array(let items):
            guard depth < maxDepth else { return "<deep>" }
            var shapes = items.prefix(maxItems).map { shape(of: $0, depth: depth + 1) }
            if items.count > maxItems {
                shapes.append(.string("<+\(items.count - maxItems) more>"))
            }
            return .array(shapes)
        case .object(let members):
            guard depth < maxDepth else { return "<deep>" }
            var shapes = members.prefix(maxKeys).map {
                ($0.key, shape(of: $0.value, depth: depth + 1))
            }
            if members.count > maxKeys {
                shapes.append(("…", .string("<+\(members.count - maxKeys) keys>")))
            }
            return .makeObject(shapes)
        }
    }
}
