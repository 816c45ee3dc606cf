import OrderedCollections

/// A strict RFC 8259 parser that keeps integers and doubles apart.
///
/// Leading and trailing JSON whitespace (including a CR before the line's LF) is accepted,
/// as Node's `JSON.parse` does. Nesting is limited to `maxDepth` levels so that hostile
/// input cannot exhaust the stack. The grammar itself (strings, numbers, literals) is
/// `JSONScanner`'s; this builds the values.
public enum JSONParser {
    /// Default nesting limit: arrays and objects inside each other at most this deep.
    public static let defaultMaxDepth = JSONScanner.maxDepth

    /// Parses one JSON text. Throws `JSONError` with the byte offset of the problem.
    public static func parse(
        _ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth
    ) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError>? = bytes.withContiguousStorageIfAvailable {
            buffer in
            Result { () throws(JSONError) in try parse(buffer: buffer, maxDepth: maxDepth) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(JSONError) in
            try parse(buffer: buffer, maxDepth: maxDepth)
        }
    }

    /// Parses the JSON text that is all of `buffer`.
    package static func parse(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int)
        throws(JSONError) -> JSONValue
    {
        var reader = Reader(JSONScanner(buffer), maxDepth: maxDepth)
        reader.scanner.skipWhitespace()
        if reader.scanner.isAtEnd { throw JSONError(offset: 0, problem: .emptyInput) }
        let value = try reader.parseValue(depth: 0)
        reader.scanner.skipWhitespace()
        if !reader.scanner.isAtEnd {
            throw JSONError(offset: reader.scanner.position, problem: .trailingData)
        }
        return value
    }

    struct Reader {
        var scanner: JSONScanner
        let maxDepth: Int
        /// Decoded bytes of a string with escapes, reused.
        var scratch: [UInt8] = []

        init(_ scanner: JSONScanner, maxDepth: Int) {
            self.scanner = scanner
            self.maxDepth = maxDepth
        }

        var position: Int { scanner.position }

        func peek() throws(JSONError) -> UInt8 {
            guard let byte = scanner.current else {
                throw JSONError(offset: position, problem: .unexpectedEnd)
            }
            return byte
        }

        mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
            let byte = try peek()
            switch byte {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try expectWord("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectWord("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectWord("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = position
                guard let number = scanner.scanNumber() else {
                    throw JSONError(offset: start, problem: .invalidNumber)
                }
                return number.value(in: scanner.bytes)
            default: throw JSONError(offset: position, problem: .unexpectedByte(byte))
            }
        }

        mutating func expectWord(_ word: StaticString) throws(JSONError) {
            guard scanner.skipLiteral(word) else { throw scanner.failure }
        }

        mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
            guard depth <= maxDepth else {
                throw JSONError(offset: position, problem: .tooDeep(limit: maxDepth))
            }
            scanner.position += 1
            var members = OrderedDictionary<String, JSONValue>()
            scanner.skipWhitespace()
            if try peek() == UInt8(ascii: "}") {
                scanner.position += 1
                return .object(members)
            }
            while true {
                scanner.skipWhitespace()
                let byte = try peek()
                guard byte == UInt8(ascii: "\"") else {
                    throw JSONError(offset: position, problem: .unexpectedByte(byte))
                }
                let key = try parseString()
                scanner.skipWhitespace()
                let colon = try peek()
                guard colon == UInt8(ascii: ":") else {
                    throw JSONError(offset: position, problem: .unexpectedByte(colon))
                }
                scanner.position += 1
                scanner.skipWhitespace()
                members[key] = try parseValue(depth: depth)
                scanner.skipWhitespace()
                let next = try peek()
                scanner.position += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "}") { return .object(members) }
                throw JSONError(offset: position - 1, problem: .unexpectedByte(next))
            }
        }

        mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
            guard depth <= maxDepth else {
                throw JSONError(offset: position, problem: .tooDeep(limit: maxDepth))
            }
            scanner.position += 1
            var elements: [JSONValue] = []
            scanner.skipWhitespace()
            if try peek() == UInt8(ascii: "]") {
                scanner.position += 1
                return .array(elements)
            }
            while true {
                scanner.skipWhitespace()
                elements.append(try parseValue(depth: depth))
                scanner.skipWhitespace()
                let next = try peek()
                scanner.position += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "]") { return .array(elements) }
                throw JSONError(offset: position - 1, problem: .unexpectedByte(next))
            }
        }

        /// The string at `position` (its opening quote): checked by the scanner, then made a
        /// `String` directly or, with escapes, decoded.
        mutating func parseString() throws(JSONError) -> String {
            let start = position + 1
            guard scanner.skipString() else { throw scanner.failure }
            let content = start..<(position - 1)
            if !scanner.stringHadEscapes {
                // `content` lies inside what the scanner just read.
                let raw = UnsafeBufferPointer(rebasing: scanner.bytes[content])
                guard let text = String(validating: raw, as: UTF8.self) else {
                    throw JSONError(offset: start, problem: .invalidUTF8)
                }
                return text
            }
            decodeEscapes(content)
            guard let text = String(validating: scratch, as: UTF8.self) else {
                throw JSONError(offset: start, problem: .invalidUTF8)
            }
            return text
        }

        /// Decodes the contents of a string whose escapes the scanner has checked.
        mutating func decodeEscapes(_ content: Range<Int>) {
            scratch.removeAll(keepingCapacity: true)
            var index = content.lowerBound
            while index < content.upperBound {
                let byte = scanner.byte(at: index)
                index += 1
                guard byte == UInt8(ascii: "\\") else {
                    scratch.append(byte)
                    continue
                }
                let escaped = scanner.byte(at: index)
                index += 1
                switch escaped {
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = hex4(at: index)
                    index += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate: combine with a following low surrogate if any.
                        if index + 6 <= content.upperBound,
                            scanner.byte(at: index) == UInt8(ascii: "\\"),
                            scanner.byte(at: index + 1) == UInt8(ascii: "u"),
                            case let low = hex4(at: index + 2), (0xDC00...0xDFFF).contains(low)
                        {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            index += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        // A lone low surrogate cannot live in a Swift string (Node sends
                        // them: docs/PROTOCOL.md, "Framing").
                        scalar = 0xFFFD
                    }
                    appendUTF8(scalar)
                default:
                    scratch.append(escaped)  // `"`, `\` and `/` stand for themselves
                }
            }
        }

        /// The four hex digits at `index` (checked by the scanner).
        func hex4(at index: Int) -> UInt32 {
            var value: UInt32 = 0
            for offset in 0..<4 {
                value = value << 4 | (JSONScanner.hexValue(scanner.byte(at: index + offset)) ?? 0)
            }
            return value
        }

        mutating func appendUTF8(_ scalar: UInt32) {
            switch scalar {
            case 0..<0x80:
                scratch.append(UInt8(scalar))
            case 0x80..<0x800:
                scratch.append(UInt8(0xC0 | (scalar >> 6)))
                scratch.append(UInt8(0x80 | (scalar & 0x3F)))
            case 0x800..<0x10000:
                scratch.append(UInt8(0xE0 | (scalar >> 12)))
                scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                scratch.append(UInt8(0x80 | (scalar & 0x3F)))
            default:
                scratch.append(UInt8(0xF0 | (scalar >> 18)))
                scratch.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
                scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                scratch.append(UInt8(0x80 | (scalar & 0x3F)))
            }
        }
    }
}
