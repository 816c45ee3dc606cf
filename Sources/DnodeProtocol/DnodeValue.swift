import OrderedCollections

/// An argument tree as the application sees it: JSON data plus functions and cycles.
///
/// Outgoing, `.function` values are replaced by callback placeholders ("scrubbed");
/// incoming, placeholders become `.function(.remote(…))` handles. A true cycle (a value that
/// is one of its own ancestors) is `.cycle(levelsUp:)`: relative, so an echoed argument keeps
/// its cycle wherever it is placed.
public indirect enum DnodeValue: Sendable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number written without fraction or exponent that fits in 64 bits.
    case int(Int64)
    /// Any other number.
    case double(Double)
    /// A string.
    case string(String)
    /// An array, in order.
    case array([DnodeValue])
    /// An object with its keys in order.
    case object(OrderedDictionary<String, DnodeValue>)
    /// A function: sent as a callback id, received as a remote handle.
    case function(DnodeFunction)
    /// This position refers back to its ancestor `levelsUp` levels above (1 = parent).
    case cycle(levelsUp: Int)
}

/// A function inside an argument tree: one of ours, or a handle to one of the peer's.
public enum DnodeFunction: Sendable {
    /// A function of ours that the peer may call.
    case local(LocalCallback)
    /// A function of the peer's: call it with ``DnodeSession/invoke(_:_:)``.
    case remote(RemoteCallback)
}

/// A local function the peer may call. Identity matters: a callback object that was already
/// sent keeps its id (docs/PROTOCOL.md, "Callbacks"), so keep and reuse the same instance.
public final class LocalCallback: Sendable {
    /// A label for logs and error messages.
    public let label: String
    /// Drop the callback from the session's table after its first invocation.
    ///
    /// Node never releases callbacks (without `weak`, tables grow for the life of the link);
    /// request/response callbacks that can only ever fire once are released so that a
    /// long-lived link does not grow.
    public let isOneShot: Bool
    let body: @Sendable ([DnodeValue]) -> Void

    /// A function the peer may call: `body` runs with the arguments of each call; `label` names
    /// it in logs and errors; `isOneShot` releases it after its first call.
    public init(
        label: String = "fn", isOneShot: Bool = false,
        _ body: @escaping @Sendable ([DnodeValue]) -> Void
    ) {
        self.label = label
        self.isOneShot = isOneShot
        self.body = body
    }

    /// Runs the function with arguments that arrived from the peer.
    public func invoke(_ arguments: [DnodeValue]) { body(arguments) }
}

/// A handle to a function that lives on the peer, valid for one session (connection).
public struct RemoteCallback: Sendable, Hashable, CustomStringConvertible {
    /// The peer's callback id.
    public let id: Int
    /// The session the id belongs to; ids restart with every connection.
    public let sessionID: UInt64

    /// A handle to the peer's callback `id` on the connection of session `sessionID`.
    public init(id: Int, sessionID: UInt64) {
        self.id = id
        self.sessionID = sessionID
    }

    public var description: String { "remote callback \(id) (session \(sessionID))" }
}

extension DnodeValue {
    /// Converts plain JSON (no functions) into an argument value.
    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values.map(DnodeValue.init))
        case .object(let members):
            self = .object(
                OrderedDictionary(
                    uniqueKeysWithValues: members.lazy.map { ($0.key, DnodeValue($0.value)) }))
        }
    }

    /// A local function value.
    public static func function(
        label: String = "fn", _ body: @escaping @Sendable ([DnodeValue]) -> Void
    ) -> DnodeValue {
        .function(.local(LocalCallback(label: label, body)))
    }

    /// The JSON form with functions as `"[Function]"` and cycles as `"[Circular]"`, as the wire shows them.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(\.json))
        case .object(let members):
            .object(JSONObject(members.lazy.map { ($0.key, $0.value.json) }))
        case .function: .string("[Function]")
        case .cycle: .string("[Circular]")
        }
    }

    /// The text of a `.string`; `nil` for anything else.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number as a `Double`, for either numeric case; `nil` for anything else.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// Whether this is `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The function of a `.function`; `nil` for anything else.
    public var function: DnodeFunction? {
        if case .function(let function) = self { return function }
        return nil
    }

    /// Member lookup on objects.
    public subscript(key: String) -> DnodeValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value at a dotted path such as `upnode.ping`.
    public func value(atDottedPath path: String) -> DnodeValue? {
        var current = self
        for key in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let next = current[String(key)] else { return nil }
            current = next
        }
        return current
    }

    /// Dotted paths of every function inside this value, depth-first in key order
    /// (at most `limit` of them, so a hostile method list stays bounded).
    public func functionPaths(limit: Int = 1024) -> [String] {
        var paths: [String] = []
        func walk(_ value: DnodeValue, _ prefix: String, depth: Int) {
            guard paths.count < limit, depth < 16 else { return }
            switch value {
            case .function: paths.append(prefix)
            case .object(let members):
                for (key, member) in members {
                    walk(member, prefix.isEmpty ? key : prefix + "." + key, depth: depth + 1)
                }
            default: break
            }
        }
        walk(self, "", depth: 0)
        return paths
    }
}
