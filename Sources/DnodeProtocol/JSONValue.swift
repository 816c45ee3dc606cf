/// A JSON value that keeps integers, doubles, booleans and null apart.
///
/// Foundation's `JSONSerialization` cannot tell `1` from `true` or `1.0`; dnode peers care,
/// so the package ships its own parser (`JSONParser`) and printer (`JSONPrinter`).
/// Objects keep their key order, which is what Node does with `JSON.stringify`.
public enum JSONValue: Sendable, Hashable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number written without fraction or exponent that fits in 64 bits.
    case int(Int64)
    /// Any other number.
    case double(Double)
    /// A string, escapes decoded.
    case string(String)
    /// An array, in order.
    case array([JSONValue])
    /// An object with its keys in the order they were written (a repeated key keeps its first
    /// place and its last value).
    case object(JSONObject)
}

extension JSONValue {
    /// Parses one JSON text. Throws `JSONError` with the byte offset of the problem.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth)
        throws(JSONError)
    {
        self = try JSONParser.parse(bytes, maxDepth: maxDepth)
    }

    /// Parses one JSON text from a string.
    public init(parsing text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONError)
    {
        self = try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// The compact, ASCII-only serialization Node's `JSON.parse` reads back unchanged.
    public var jsonText: String { String(decoding: JSONPrinter.bytes(self), as: UTF8.self) }
    /// Compact JSON in `style`: `.readable` for people (UTF-8 as it is), `jsonText` for the wire.
    public func text(_ style: JSONPrinter.Style) -> String {
        String(decoding: JSONPrinter.bytes(self, style: style), as: UTF8.self)
    }

    /// The number as a `Double`, for either numeric case.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The number as an `Int`, if it is integral and in range.
    public var intValue: Int? {
        switch self {
        case .int(let value): Int(exactly: value)
        case .double(let value): value.isFinite ? Int(exactly: value) : nil
        default: nil
        }
    }

    /// The text of a `.string`; `nil` for anything else.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements of an `.array`; `nil` for anything else.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members of an `.object`, in order; `nil` for anything else.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Whether this is `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A word for error messages: "object", "array", "string", "number", "boolean", "null".
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Member lookup on objects; `nil` for anything else.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { jsonText }
}

extension JSONValue {
    /// Structural equality the way JavaScript sees numbers: `1` and `1.0` are equal,
    /// and object key order does not matter. Used to compare with Node's output.
    public func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.int, _), (.double, _):
            guard let a = doubleValue, let b = other.doubleValue else { return false }
            return a == b
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            return a.allSatisfy { key, value in b[key].map { value.isEquivalent(to: $0) } ?? false }
        default: return false
        }
    }
}
