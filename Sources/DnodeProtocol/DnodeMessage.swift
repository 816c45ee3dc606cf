import OrderedCollections

/// One dnode message: `{method, arguments, callbacks, links}` (docs/PROTOCOL.md, "Messages").
public struct DnodeMessage: Sendable, Equatable {
    /// What a message asks the receiver to do.
    public enum Method: Sendable, Hashable, CustomStringConvertible {
        /// A named method: `"methods"`, `"cull"`, or an instance property name.
        case name(String)
        /// The receiver's callback with this id (how all calls travel between Node peers).
        case callback(Int)

        public var description: String {
            switch self {
            case .name(let name): "\"\(name)\""
            case .callback(let id): "callback \(id)"
            }
        }
    }

    /// A cycle: after callbacks are placed, the value at `to` is the value at `from`.
    public struct Link: Sendable, Equatable {
        /// Path of the value to copy (keys as strings, from the argument list).
        public var from: [String]
        /// Path where the copy goes.
        public var to: [String]

        /// A link that places the value at `from` also at `to`.
        public init(from: [String], to: [String]) {
            self.from = from
            self.to = to
        }
    }

    /// What the message asks for: a named method or one of the receiver's callbacks.
    public var method: Method
    /// The arguments, functions replaced by placeholders (see `callbacks`).
    public var arguments: [JSONValue]
    /// Callback id → path of the placeholder inside `arguments` (keys as strings, like Node).
    public var callbacks: OrderedDictionary<Int, [String]>
    /// Shared or cyclic references to restore after the callbacks are placed.
    public var links: [Link]

    /// A message as given; nothing is checked (``DnodeSession`` builds consistent ones).
    public init(
        method: Method, arguments: [JSONValue], callbacks: OrderedDictionary<Int, [String]> = [:],
        links: [Link] = []
    ) {
        self.method = method
        self.arguments = arguments
        self.callbacks = callbacks
        self.links = links
    }

    /// A `cull` message for the peer's callback ids (no `callbacks`/`links` keys, as Node writes it).
    public static func cull(_ ids: [Int]) -> DnodeMessage {
        DnodeMessage(method: .name("cull"), arguments: ids.map { .int(Int64($0)) })
    }

    var isCull: Bool { method == .name("cull") }
}

extension DnodeMessage {
    /// The JSON object as Node writes it: all four keys in order, callbacks by ascending id.
    public var json: JSONValue {
        var object = JSONObject()
        switch method {
        case .name(let name): object["method"] = .string(name)
        case .callback(let id): object["method"] = .int(Int64(id))
        }
        object["arguments"] = .array(arguments)
        if isCull && callbacks.isEmpty && links.isEmpty { return .object(object) }
        var callbackObject = JSONObject()
        for (id, path) in callbacks.sorted(by: { $0.key < $1.key }) {
            callbackObject[String(id)] = .array(path.map(JSONValue.string))
        }
        object["callbacks"] = .object(callbackObject)
        object["links"] = .array(
            links.map { link in
                .object([
                    "from": .array(link.from.map(JSONValue.string)),
                    "to": .array(link.to.map(JSONValue.string)),
                ])
            })
        return .object(object)
    }

    /// The wire line without its trailing newline (ASCII only).
    public func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        bytes.removeLast()
        return bytes
    }

    /// Appends the wire line and its newline to `buffer`.
    ///
    /// Prints the four fields directly (the same bytes as printing `json`, without building
    /// its dictionaries: this runs once per message).
    public func encode(into buffer: inout [UInt8]) {
        JSONWriter.appending(to: &buffer) { writer in
            writer.append(#"{"method":"#)
            switch method {
            case .name(let name): writer.writeString(name, style: .ascii)
            case .callback(let id): writer.writeInteger(Int64(id))
            }
            writer.append(#","arguments":"#)
            writer.writeArray(arguments, style: .ascii)
            if !(isCull && callbacks.isEmpty && links.isEmpty) {
                writer.append(#","callbacks":{"#)
                // By ascending id, as Node writes an object's integer keys; usually already so.
                let keys = callbacks.keys
                if zip(keys, keys.dropFirst()).allSatisfy({ $0 < $1 }) {
                    Self.writeCallbacks(callbacks, into: &writer)
                } else {
                    Self.writeCallbacks(
                        OrderedDictionary(
                            uniqueKeysWithValues: callbacks.sorted { $0.key < $1.key }),
                        into: &writer)
                }
                writer.append(#"},"links":["#)
                for (index, link) in links.enumerated() {
                    if index > 0 { writer.append(UInt8(ascii: ",")) }
                    writer.append(#"{"from":"#)
                    Self.writePath(link.from, into: &writer)
                    writer.append(#","to":"#)
                    Self.writePath(link.to, into: &writer)
                    writer.append(UInt8(ascii: "}"))
                }
                writer.append(UInt8(ascii: "]"))
            }
            writer.append("}\n")
        }
    }

    static func writeCallbacks(
        _ callbacks: OrderedDictionary<Int, [String]>, into writer: inout JSONWriter
    ) {
        var first = true
        for (id, path) in callbacks {
            if !first { writer.append(UInt8(ascii: ",")) }
            first = false
            writer.append(UInt8(ascii: "\""))
            writer.writeInteger(Int64(id))
            writer.append(#"":"#)
            writePath(path, into: &writer)
        }
    }

    static func writePath(_ path: [String], into writer: inout JSONWriter) {
        writer.append(UInt8(ascii: "["))
        for (index, key) in path.enumerated() {
            if index > 0 { writer.append(UInt8(ascii: ",")) }
            writer.writeString(key, style: .ascii)
        }
        writer.append(UInt8(ascii: "]"))
    }

    /// Decodes one line (without its LF; a trailing CR and surrounding whitespace are accepted).
    ///
    /// Lines shaped like Node's are read straight from the bytes into the message
    /// (`DnodeMessageDecoder.swift`); anything else is parsed as a `JSONValue` first, which
    /// gives the same message and defines every error.
    public init(decoding line: some Collection<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth)
        throws(DnodeProtocolError)
    {
        let direct: DnodeMessage?? = line.withContiguousStorageIfAvailable { buffer in
            JSONParser.Reader.with(buffer, maxDepth: maxDepth) { $0.parseMessage() }
        }
        if let message = direct ?? nil {
            self = message
            return
        }
        try self.init(decodingViaJSON: line, maxDepth: maxDepth)
    }

    /// Decodes one line by parsing it as a `JSONValue` and reading the fields from that.
    init(decodingViaJSON line: some Collection<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth)
        throws(DnodeProtocolError)
    {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line, maxDepth: maxDepth)
        } catch {
            throw .malformedJSON(error)
        }
        try self.init(json: value)
    }

    /// Builds a message from a parsed JSON value, checking every field's shape.
    public init(json: JSONValue) throws(DnodeProtocolError) {
        guard case .object(let object) = json else { throw .notAnObject(found: json.kindName) }
        switch object["method"] {
        case .string(let name)?: method = .name(name)
        case let number? where number.doubleValue != nil:
            guard let id = number.intValue, id >= 0 else {
                throw .badField(
                    field: "method",
                    problem:
                        "callback id \(Self.describeNumber(number)) is not a non-negative integer")
            }
            method = .callback(id)
        case let other?:
            throw .badField(
                field: "method",
                problem: "expected a string or a callback id, found \(other.kindName)")
        case nil: throw .badField(field: "method", problem: "missing")
        }
        switch object["arguments"] {
        case .array(let values)?: arguments = values
        case nil, .null?: arguments = []
        case let other?:
            throw .badField(
                field: "arguments", problem: "expected an array, found \(other.kindName)")
        }
        callbacks = [:]
        switch object["callbacks"] {
        case nil, .null?: break
        case .object(let entries)?:
            for (key, pathValue) in entries {
                guard let id = Int(key), id >= 0 else {
                    throw .badField(
                        field: "callbacks",
                        problem: "key \"\(DnodeProtocolError.shown(key))\" is not a callback id")
                }
                callbacks[id] = try Self.path(pathValue, field: "callbacks.\(key)")
            }
        case let other?:
            throw .badField(
                field: "callbacks", problem: "expected an object, found \(other.kindName)")
        }
        links = []
        switch object["links"] {
        case nil, .null?: break
        case .array(let entries)?:
            for (index, entry) in entries.enumerated() {
                guard let from = entry["from"], let to = entry["to"] else {
                    throw .badField(
                        field: "links[\(index)]", problem: "expected {\"from\": path, \"to\": path}"
                    )
                }
                links.append(
                    Link(
                        from: try Self.path(from, field: "links[\(index)].from"),
                        to: try Self.path(to, field: "links[\(index)].to")))
            }
        case let other?:
            throw .badField(field: "links", problem: "expected an array, found \(other.kindName)")
        }
    }

    /// A number for an error message. JSON numbers beyond a double's range (`1e400`) parse as
    /// ±infinity, which JSON would print as `null`: say what they were instead.
    static func describeNumber(_ number: JSONValue) -> String {
        if case .double(let value) = number, !value.isFinite {
            return (value < 0 ? "-" : "") + "Infinity (a number beyond a double's range)"
        }
        return number.jsonText
    }

    /// A path is an array of keys; Node writes strings but accepts integers (docs/PROTOCOL.md, "Messages").
    static func path(_ value: JSONValue, field: String) throws(DnodeProtocolError) -> [String] {
        guard case .array(let keys) = value, !keys.isEmpty else {
            throw .badField(field: field, problem: "expected a non-empty array of keys")
        }
        var path: [String] = []
        path.reserveCapacity(keys.count)
        for key in keys {
            switch key {
            case .string(let text): path.append(text)
            case .int(let number): path.append(String(number))
            default:
                throw .badField(
                    field: field,
                    problem:
                        "path key \(DnodeProtocolError.shown(key.jsonText)) is not a string or an integer"
                )
            }
        }
        return path
    }
}
