import OrderedCollections

/// A strict RFC 8259 parser that keeps integers and doubles apart.
///
/// Leading and trailing JSON whitespace (including a CR before the line's LF) is accepted,
/// as Node's `JSON.parse` does. Nesting is limited to `maxDepth` levels so that hostile
/// input cannot exhaust the stack.
public enum JSONParser {
    /// Default nesting limit: arrays and objects inside each other at most this deep.
    public static let defaultMaxDepth = 256

    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONError) in try parse(buffer: buffer, maxDepth: maxDepth) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(JSONError) in
            try parse(buffer: buffer, maxDepth: maxDepth)
        }
    }

    static func parse(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(JSONError) -> JSONValue {
        var reader = Reader(bytes: buffer, maxDepth: maxDepth)
        reader.skipWhitespace()
        if reader.isAtEnd { throw JSONError(offset: 0, problem: .emptyInput) }
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        if !reader.isAtEnd { throw JSONError(offset: reader.position, problem: .trailingData) }
        return value
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        var position = 0
        var scratch: [UInt8] = []

        init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        var isAtEnd: Bool { position >= bytes.count }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        func peek() throws(JSONError) -> UInt8 {
            guard position < bytes.count else { throw JSONError(offset: position, problem: .unexpectedEnd) }
            return bytes[position]
        }

        mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
            let byte = try peek()
            switch byte {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectWord("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw JSONError(offset: position, problem: .unexpectedByte(byte))
            }
        }

        mutating func expectWord(_ word: StaticString) throws(JSONError) {
            let start = position
            for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
                guard position < bytes.count else { throw JSONError(offset: position, problem: .unexpectedEnd) }
                guard bytes[position] == expected else {
                    throw JSONError(offset: start, problem: .unexpectedByte(bytes[start]))
                }
                position += 1
            }
        }

        mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
            guard depth <= maxDepth else { throw JSONError(offset: position, problem: .tooDeep(limit: maxDepth)) }
            position += 1
            var members = OrderedDictionary<String, JSONValue>()
            skipWhitespace()
            if try peek() == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                let byte = try peek()
                guard byte == UInt8(ascii: "\"") else { throw JSONError(offset: position, problem: .unexpectedByte(byte)) }
                let key = try parseString()
                skipWhitespace()
                let colon = try peek()
                guard colon == UInt8(ascii: ":") else { throw JSONError(offset: position, problem: .unexpectedByte(colon)) }
                position += 1
                skipWhitespace()
                members[key] = try parseValue(depth: depth)
                skipWhitespace()
                let next = try peek()
                position += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "}") { return .object(members) }
                throw JSONError(offset: position - 1, problem: .unexpectedByte(next))
            }
        }

        mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
            guard depth <= maxDepth else { throw JSONError(offset: position, problem: .tooDeep(limit: maxDepth)) }
            position += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if try peek() == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth))
                skipWhitespace()
                let next = try peek()
                position += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "]") { return .array(elements) }
                throw JSONError(offset: position - 1, problem: .unexpectedByte(next))
            }
        }

        mutating func parseNumber() throws(JSONError) -> JSONValue {
            let start = position
            var isInteger = true
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count else { throw JSONError(offset: start, problem: .invalidNumber) }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
            } else if isDigit(bytes[position]) {
                while position < bytes.count && isDigit(bytes[position]) { position += 1 }
            } else {
                throw JSONError(offset: start, problem: .invalidNumber)
            }
            if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
                isInteger = false
                position += 1
                guard position < bytes.count, isDigit(bytes[position]) else { throw JSONError(offset: start, problem: .invalidNumber) }
                while position < bytes.count && isDigit(bytes[position]) { position += 1 }
            }
            if position < bytes.count && (bytes[position] | 0x20) == UInt8(ascii: "e") {
                isInteger = false
                position += 1
                if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                    position += 1
                }
                guard position < bytes.count, isDigit(bytes[position]) else { throw JSONError(offset: start, problem: .invalidNumber) }
                while position < bytes.count && isDigit(bytes[position]) { position += 1 }
            }
            let literal = UnsafeBufferPointer(rebasing: bytes[start..<position])
            if isInteger, let value = Self.int64(literal) {
                // "-0" is a double: JavaScript keeps the sign of zero.
                if value == 0 && literal.first == UInt8(ascii: "-") { return .double(-0.0) }
                return .int(value)
            }
            guard let value = Double(String(decoding: literal, as: UTF8.self)) else {
                throw JSONError(offset: start, problem: .invalidNumber)
            }
            return .double(value)
        }

        static func int64(_ digits: UnsafeBufferPointer<UInt8>) -> Int64? {
            var index = 0
            let negative = digits.first == UInt8(ascii: "-")
            if negative { index = 1 }
            guard digits.count - index <= 19 else { return nil }
            var value: Int64 = 0
            while index < digits.count {
                let digit = Int64(digits[index] &- UInt8(ascii: "0"))
                let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                if o1 || o2 { return nil }
                value = next
                index += 1
            }
            return value
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        mutating func parseString() throws(JSONError) -> String {
            position += 1  // opening quote
            let start = position
            // Fast path: no escapes.
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let raw = UnsafeBufferPointer(rebasing: bytes[start..<position])
                    position += 1
                    guard let text = String(validating: raw, as: UTF8.self) else {
                        throw JSONError(offset: start, problem: .invalidUTF8)
                    }
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw JSONError(offset: position, problem: .controlCharacterInString(byte)) }
                position += 1
            }
            guard position < bytes.count else { throw JSONError(offset: position, problem: .unexpectedEnd) }
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
            while position < bytes.count {
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "\""):
                    position += 1
                    guard let text = String(validating: scratch, as: UTF8.self) else {
                        throw JSONError(offset: start, problem: .invalidUTF8)
                    }
                    return text
                case UInt8(ascii: "\\"):
                    try parseEscape()
                case 0..<0x20:
                    throw JSONError(offset: position, problem: .controlCharacterInString(byte))
                default:
                    scratch.append(byte)
                    position += 1
                }
            }
            throw JSONError(offset: position, problem: .unexpectedEnd)
        }

        mutating func parseEscape() throws(JSONError) {
            let escapeStart = position
            position += 1
            guard position < bytes.count else { throw JSONError(offset: position, problem: .unexpectedEnd) }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4(escapeStart: escapeStart)
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate: combine with a following low surrogate if there is one.
                    if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        let save = position
                        position += 2
                        let low = try parseHex4(escapeStart: save)
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    // A lone low surrogate cannot live in a Swift string (Node sends them: PROTOCOL §1.1).
                    scalar = 0xFFFD
                }
                appendUTF8(scalar)
            default:
                throw JSONError(offset: escapeStart, problem: .invalidEscape)
            }
        }

        mutating func parseHex4(escapeStart: Int) throws(JSONError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw JSONError(offset: escapeStart, problem: .invalidEscape) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw JSONError(offset: escapeStart, problem: .invalidEscape)
                }
                value = value << 4 | digit
                position += 1
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
