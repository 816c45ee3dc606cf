import OrderedCollections

/// Decoding a dnode line straight from its bytes into a `DnodeMessage`: the four fields are
/// read as they come (arguments as JSON values, callbacks and links as ids and paths), with no
/// `JSONValue` built for the message object, its callbacks or its links.
///
/// This is the fast path of `DnodeMessage(decoding:)`. It takes the lines Node writes and
/// anything close to them; for anything unusual (a JSON or shape error, a repeated field or
/// callback id, integer path keys, escaped field names, a tiny nesting limit) it gives up and
/// the caller decodes through `JSONValue`, which defines the result and every error message.
/// So both ways always agree (the fuzz target checks this).
extension JSONParser.Reader {
    /// Nesting the fast path needs: message object, links array, link object, path array.
    static var messageDepth: Int { 4 }

    /// The message that is all of the input, or `nil` to decode it the general way.
    mutating func parseMessage() -> DnodeMessage? {
        guard maxDepth >= Self.messageDepth else { return nil }
        do {
            return try readMessage()
        } catch {
            return nil
        }
    }

    private mutating func readMessage() throws(JSONError) -> DnodeMessage? {
        skipWhitespace()
        guard scanner.peek(UInt8(ascii: "{")) else { return nil }
        scanner.position += 1
        var method: DnodeMessage.Method?
        var arguments: [JSONValue]?
        var callbacks: OrderedDictionary<Int, [String]>?
        var links: [DnodeMessage.Link]?
        skipWhitespace()
        if scanner.peek(UInt8(ascii: "}")) { return nil }  // no method
        while true {
            skipWhitespace()
            guard let field = readFieldName() else { return nil }
            skipWhitespace()
            guard scanner.peek(UInt8(ascii: ":")) else { return nil }
            scanner.position += 1
            skipWhitespace()
            switch field {
            case .method:
                guard method == nil, let value = try readMethod() else { return nil }
                method = value
            case .arguments:
                guard arguments == nil else { return nil }
                if try skipNull() {
                    arguments = []
                } else {
                    guard scanner.peek(UInt8(ascii: "[")) else { return nil }
                    arguments = try parseArray(depth: 2)
                }
            case .callbacks:
                guard callbacks == nil, let value = try readCallbacks() else { return nil }
                callbacks = value
            case .links:
                guard links == nil, let value = try readLinks() else { return nil }
                links = value
            case .other:
                _ = try parseValue(depth: 1)  // checked (grammar, UTF-8, depth) and ignored
            }
            skipWhitespace()
            guard let next = scanner.current else { return nil }
            scanner.position += 1
            if next == UInt8(ascii: ",") { continue }
            guard next == UInt8(ascii: "}") else { return nil }
            break
        }
        skipWhitespace()
        guard scanner.isAtEnd, let method else { return nil }
        return DnodeMessage(
            method: method, arguments: arguments ?? [], callbacks: callbacks ?? [:],
            links: links ?? [])
    }

    private enum Field {
        case method, arguments, callbacks, links, other
    }

    /// The member name at `position`, read as raw bytes; `nil` for one with escapes (or no
    /// string), which the general decoder handles.
    private mutating func readFieldName() -> Field? {
        let start = scanner.position + 1
        guard scanner.skipString(), !scanner.stringHadEscapes else { return nil }
        let name = start..<(scanner.position - 1)
        let bytes = scanner.bytes
        if JSONScanner.equals(bytes, name, "method") { return .method }
        if JSONScanner.equals(bytes, name, "arguments") { return .arguments }
        if JSONScanner.equals(bytes, name, "callbacks") { return .callbacks }
        if JSONScanner.equals(bytes, name, "links") { return .links }
        // Other names are skipped, but must be valid UTF-8 like every string of the line.
        guard JSONParser.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[name])) else {
            return nil
        }
        return .other
    }

    /// Skips `null` if it is at `position`.
    private mutating func skipNull() throws(JSONError) -> Bool {
        guard scanner.peek(UInt8(ascii: "n")) else { return false }
        try expectWord("null")
        return true
    }

    /// A method name, or a callback id written as a non-negative integer literal.
    private mutating func readMethod() throws(JSONError) -> DnodeMessage.Method? {
        if scanner.peek(UInt8(ascii: "\"")) { return .name(try parseString()) }
        guard let number = scanner.scanNumber(), !number.negative, let id = number.int64 else {
            return nil
        }
        return .callback(Int(id))
    }

    /// `{"id": path, …}` (or `null`): ids as unsigned decimal keys, each once.
    private mutating func readCallbacks() throws(JSONError) -> OrderedDictionary<Int, [String]>? {
        if try skipNull() { return [:] }
        guard scanner.peek(UInt8(ascii: "{")) else { return nil }
        scanner.position += 1
        var callbacks: OrderedDictionary<Int, [String]> = [:]
        skipWhitespace()
        if scanner.peek(UInt8(ascii: "}")) {
            scanner.position += 1
            return callbacks
        }
        while true {
            skipWhitespace()
            guard let id = readCallbackID() else { return nil }
            skipWhitespace()
            guard scanner.peek(UInt8(ascii: ":")) else { return nil }
            scanner.position += 1
            skipWhitespace()
            guard let path = try readPath(),
                callbacks.updateValue(path, forKey: id) == nil
            else { return nil }
            skipWhitespace()
            guard let next = scanner.current else { return nil }
            scanner.position += 1
            if next == UInt8(ascii: ",") { continue }
            return next == UInt8(ascii: "}") ? callbacks : nil
        }
    }

    /// A callback id key: a string of 1 to 18 ASCII digits (what `Int(key)` reads as a
    /// non-negative id, leading zeros included).
    private mutating func readCallbackID() -> Int? {
        let start = scanner.position + 1
        guard scanner.skipString(), !scanner.stringHadEscapes else { return nil }
        let end = scanner.position - 1
        guard end > start, end - start <= 18 else { return nil }
        var id = 0
        for index in start..<end {
            let digit = scanner.byte(at: index) &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            id = id * 10 + Int(digit)
        }
        return id
    }

    /// `[{"from": path, "to": path}, …]` (or `null`).
    private mutating func readLinks() throws(JSONError) -> [DnodeMessage.Link]? {
        if try skipNull() { return [] }
        guard scanner.peek(UInt8(ascii: "[")) else { return nil }
        scanner.position += 1
        var links: [DnodeMessage.Link] = []
        skipWhitespace()
        if scanner.peek(UInt8(ascii: "]")) {
            scanner.position += 1
            return links
        }
        while true {
            skipWhitespace()
            guard let link = try readLink() else { return nil }
            links.append(link)
            skipWhitespace()
            guard let next = scanner.current else { return nil }
            scanner.position += 1
            if next == UInt8(ascii: ",") { continue }
            return next == UInt8(ascii: "]") ? links : nil
        }
    }

    /// `{"from": path, "to": path}` in either order, nothing else.
    private mutating func readLink() throws(JSONError) -> DnodeMessage.Link? {
        guard scanner.peek(UInt8(ascii: "{")) else { return nil }
        scanner.position += 1
        var from: [String]?
        var to: [String]?
        for _ in 0..<2 {
            skipWhitespace()
            let start = scanner.position + 1
            guard scanner.skipString(), !scanner.stringHadEscapes else { return nil }
            let name = start..<(scanner.position - 1)
            skipWhitespace()
            guard scanner.peek(UInt8(ascii: ":")) else { return nil }
            scanner.position += 1
            skipWhitespace()
            if JSONScanner.equals(scanner.bytes, name, "from"), from == nil {
                from = try readPath()
                if from == nil { return nil }
            } else if JSONScanner.equals(scanner.bytes, name, "to"), to == nil {
                to = try readPath()
                if to == nil { return nil }
            } else {
                return nil
            }
            skipWhitespace()
            guard let next = scanner.current else { return nil }
            scanner.position += 1
            if next != (from != nil && to != nil ? UInt8(ascii: "}") : UInt8(ascii: ",")) {
                return nil
            }
        }
        guard let from, let to else { return nil }
        return DnodeMessage.Link(from: from, to: to)
    }

    /// A non-empty array of string keys.
    private mutating func readPath() throws(JSONError) -> [String]? {
        guard scanner.peek(UInt8(ascii: "[")) else { return nil }
        scanner.position += 1
        let first = keys.count
        while true {
            skipWhitespace()
            guard scanner.peek(UInt8(ascii: "\"")) else {
                keys.pop(to: first)
                return nil
            }
            keys.push(try parseString())
            skipWhitespace()
            guard let next = scanner.current else {
                keys.pop(to: first)
                return nil
            }
            scanner.position += 1
            if next == UInt8(ascii: ",") { continue }
            guard next == UInt8(ascii: "]") else {
                keys.pop(to: first)
                return nil
            }
            return keys.popArray(from: first)
        }
    }
}
