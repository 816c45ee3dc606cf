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
        try Reader.with(buffer, maxDepth: maxDepth) { reader in
            Result { () throws(JSONError) in
                reader.scanner.skipWhitespace()
                if reader.scanner.isAtEnd { throw JSONError(offset: 0, problem: .emptyInput) }
                let value = try reader.parseValue(depth: 0)
                reader.scanner.skipWhitespace()
                if !reader.scanner.isAtEnd {
                    throw JSONError(offset: reader.scanner.position, problem: .trailingData)
                }
                return value
            }
        }.get()
    }

    /// The parser's state: the scanner, and stacks where the members of the open containers
    /// wait until their container closes. Each array and object is then allocated once, at
    /// its final size, and elements are moved (not copied) into it.
    struct Reader: ~Copyable {
        var scanner: JSONScanner
        let maxDepth: Int
        /// Decoded bytes of a string with escapes, reused.
        var scratch: [UInt8] = []
        /// Elements of the open arrays.
        var values: PendingStack<JSONValue>
        /// Members of the open objects.
        var members: PendingStack<JSONObject.Element>
        /// The keys of the path `DnodeMessage`'s decoder is reading.
        var keys: PendingStack<String>
        /// Where each pending key is in the input, for the duplicate check.
        var keySpans: PendingStack<KeySpan>

        private init(
            _ scanner: JSONScanner, maxDepth: Int, values: UnsafeMutableBufferPointer<JSONValue>,
            members: UnsafeMutableBufferPointer<JSONObject.Element>,
            keys: UnsafeMutableBufferPointer<String>, keySpans: UnsafeMutableBufferPointer<KeySpan>
        ) {
            self.scanner = scanner
            self.maxDepth = maxDepth
            self.values = PendingStack(initial: values)
            self.members = PendingStack(initial: members)
            self.keys = PendingStack(initial: keys)
            self.keySpans = PendingStack(initial: keySpans)
        }

        /// Runs `body` with a reader of `buffer` whose stacks start in stack memory (the
        /// usual line never needs more), so that a parse allocates only what it returns.
        @inline(__always)
        static func with<Result>(
            _ buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int,
            _ body: (inout Reader) -> Result
        ) -> Result {
            withUnsafeTemporaryAllocation(of: JSONValue.self, capacity: 32) { values in
                withUnsafeTemporaryAllocation(of: JSONObject.Element.self, capacity: 16) {
                    members in
                    withUnsafeTemporaryAllocation(of: String.self, capacity: 8) { keys in
                        withUnsafeTemporaryAllocation(of: KeySpan.self, capacity: 16) { keySpans in
                            var reader = Reader(
                                JSONScanner(buffer), maxDepth: maxDepth, values: values,
                                members: members, keys: keys, keySpans: keySpans)
                            return body(&reader)
                        }
                    }
                }
            }
        }

        var position: Int { scanner.position }

        /// The byte at `position`, or the end-of-input error.
        @inline(__always)
        func peek() throws(JSONError) -> UInt8 {
            guard let byte = scanner.current else {
                throw JSONError(offset: position, problem: .unexpectedEnd)
            }
            return byte
        }

        /// Skips whitespace; the usual compact JSON has none, which costs one compare.
        @inline(__always)
        mutating func skipWhitespace() {
            if let byte = scanner.current, byte > 0x20 { return }
            scanner.skipWhitespace()
        }

        mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
            let byte = try peek()
            switch byte {
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return try parseNumber()
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
            case UInt8(ascii: "t"):
                try expectWord("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectWord("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectWord("null")
                return .null
            default: throw JSONError(offset: position, problem: .unexpectedByte(byte))
            }
        }

        @inline(__always)
        mutating func parseNumber() throws(JSONError) -> JSONValue {
            let start = position
            guard let number = scanner.scanNumber() else {
                throw JSONError(offset: start, problem: .invalidNumber)
            }
            return number.value(in: scanner.bytes)
        }

        mutating func expectWord(_ word: StaticString) throws(JSONError) {
            guard scanner.skipLiteral(word) else { throw scanner.failure }
        }

        /// The object at `position` (its `{`), `depth` containers deep counting itself.
        mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
            guard depth <= maxDepth else {
                throw JSONError(offset: position, problem: .tooDeep(limit: maxDepth))
            }
            scanner.position += 1
            skipWhitespace()
            if try peek() == UInt8(ascii: "}") {
                scanner.position += 1
                return .object([:])
            }
            let first = members.count
            while true {
                skipWhitespace()
                let byte = try peek()
                guard byte == UInt8(ascii: "\"") else {
                    throw JSONError(offset: position, problem: .unexpectedByte(byte))
                }
                let keyStart = position + 1
                let key = try parseKey()
                // The span of an escape-free key is its text; others compare as strings.
                let span =
                    scanner.stringHadEscapes
                    ? KeySpan(start: keyStart, count: -1)
                    : KeySpan(start: keyStart, count: position - 1 - keyStart)
                skipWhitespace()
                let colon = try peek()
                guard colon == UInt8(ascii: ":") else {
                    throw JSONError(offset: position, problem: .unexpectedByte(colon))
                }
                scanner.position += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                members.push((key, value))
                keySpans.push(span)
                skipWhitespace()
                let next = try peek()
                scanner.position += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "}") { return .object(popObject(from: first)) }
                throw JSONError(offset: position - 1, problem: .unexpectedByte(next))
            }
        }

        /// The elements of the array at `position` (its `[`), `depth` containers deep
        /// counting itself.
        mutating func parseArray(depth: Int) throws(JSONError) -> [JSONValue] {
            guard depth <= maxDepth else {
                throw JSONError(offset: position, problem: .tooDeep(limit: maxDepth))
            }
            scanner.position += 1
            skipWhitespace()
            if try peek() == UInt8(ascii: "]") {
                scanner.position += 1
                return []
            }
            let first = values.count
            while true {
                skipWhitespace()
                let value = try parseValue(depth: depth)
                values.push(value)
                skipWhitespace()
                let next = try peek()
                scanner.position += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "]") { return values.popArray(from: first) }
                throw JSONError(offset: position - 1, problem: .unexpectedByte(next))
            }
        }

        /// The members pushed since member `first`, as one object. A repeated key keeps its
        /// first position and its last value, as in Node.
        mutating func popObject(from first: Int) -> JSONObject {
            let isUnique =
                members.count - first <= Self.linearKeyLimit && !hasRepeatedKey(from: first)
            keySpans.pop(to: first)
            if isUnique { return JSONObject(uniqueMembers: members.popMoving(from: first)) }
            // Many keys (hashed) or a repeated one: insert one by one.
            return JSONObject(resolvingRepeats: members.popMoving(from: first))
        }

        /// Objects with at most this many members check their keys for repeats pairwise.
        static var linearKeyLimit: Int { JSONObject.indexThreshold }

        /// Whether two of the pending keys from `first` on are equal.
        func hasRepeatedKey(from first: Int) -> Bool {
            let end = keySpans.count
            var later = first + 1
            while later < end {
                let b = keySpans[later]
                var earlier = first
                while earlier < later {
                    let a = keySpans[earlier]
                    if a.count >= 0 && b.count >= 0 {
                        if a.count == b.count && sameBytes(a.start, b.start, a.count) {
                            return true
                        }
                    } else if members[earlier].key == members[later].key {
                        return true
                    }
                    earlier += 1
                }
                later += 1
            }
            return false
        }

        /// Whether the `count` input bytes at `a` and at `b` are equal (both spans were read).
        @inline(__always)
        func sameBytes(_ a: Int, _ b: Int, _ count: Int) -> Bool {
            guard count > 0 else { return true }
            let bytes = scanner.bytes
            // Last bytes first: keys like `k1`, `k2` differ there.
            if bytes[a + count - 1] != bytes[b + count - 1] { return false }
            var index = 0
            while index < count - 1 {
                if bytes[a + index] != bytes[b + index] { return false }
                index += 1
            }
            return true
        }

        /// The string at `position` (its opening quote): checked by the scanner, then made a
        /// `String` directly or, with escapes, decoded.
        mutating func parseString() throws(JSONError) -> String {
            let start = position + 1
            guard scanner.skipString() else { throw scanner.failure }
            return try makeString(start..<(position - 1))
        }

        /// An object key at `position` (its opening quote): the field names of dnode's
        /// messages are written as literals (the same strings, without decoding them), any
        /// other key as `parseString` makes it.
        @inline(__always)
        mutating func parseKey() throws(JSONError) -> String {
            let start = position + 1
            guard scanner.skipString() else { throw scanner.failure }
            let content = start..<(position - 1)
            if !scanner.stringHadEscapes, let known = Self.dnodeKey(scanner.bytes, content) {
                return known
            }
            return try makeString(content)
        }

        /// The dnode field name that `bytes[content]` is, if it is one.
        @inline(__always)
        static func dnodeKey(_ bytes: UnsafeBufferPointer<UInt8>, _ content: Range<Int>)
            -> String?
        {
            switch content.count {
            case 9:
                if JSONScanner.equals(bytes, content, "arguments") { return "arguments" }
                if JSONScanner.equals(bytes, content, "callbacks") { return "callbacks" }
            case 6: if JSONScanner.equals(bytes, content, "method") { return "method" }
            case 5: if JSONScanner.equals(bytes, content, "links") { return "links" }
            case 4: if JSONScanner.equals(bytes, content, "from") { return "from" }
            case 2: if JSONScanner.equals(bytes, content, "to") { return "to" }
            default: break
            }
            return nil
        }

        /// The string whose contents (between its quotes) the scanner has just read at
        /// `content`: made a `String` directly or, with escapes, decoded.
        mutating func makeString(_ content: Range<Int>) throws(JSONError) -> String {
            let start = content.lowerBound
            if !scanner.stringHadEscapes {
                // `content` lies inside what the scanner just read.
                let raw = UnsafeBufferPointer(rebasing: scanner.bytes[content])
                guard isShortASCII(content) || JSONParser.isValidUTF8(raw) else {
                    throw JSONError(offset: start, problem: .invalidUTF8)
                }
                // Valid, so nothing is repaired: the same string `String(validating:)` makes,
                // without its generic (unspecialised) validation.
                return String(decoding: raw, as: UTF8.self)
            }
            decodeEscapes(content)
            let text: String? = scratch.withUnsafeBufferPointer { decoded in
                JSONParser.isValidUTF8(decoded) ? String(decoding: decoded, as: UTF8.self) : nil
            }
            guard let text else { throw JSONError(offset: start, problem: .invalidUTF8) }
            return text
        }

        /// Whether the input bytes in `content` (at most 8 of them) are ASCII, checked with
        /// one load of the 8 bytes that end where `content` ends: most keys and short values
        /// are this, and `isValidUTF8` goes byte by byte below 8 bytes.
        @inline(__always)
        func isShortASCII(_ content: Range<Int>) -> Bool {
            guard content.count <= 8, content.upperBound >= 8,
                let base = scanner.bytes.baseAddress
            else { return false }
            // In range: reads `upperBound - 8 ..< upperBound`, inside the input. Bytes before
            // `content` may fail the check too; then `isValidUTF8` decides.
            let word = UnsafeRawPointer(base + content.upperBound - 8).loadUnaligned(
                as: UInt64.self)
            return word & 0x8080_8080_8080_8080 == 0
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

    /// Where an object key is in the input: `count` bytes at `start` between its quotes, or
    /// `count == -1` for a key with escapes (compared as decoded text instead).
    struct KeySpan {
        var start: Int
        var count: Int
    }
}
