import DnodeProtocol

/// A fast first look at a recording line for the opening scan: checks that it is valid JSON
/// without building any values, and picks out the top-level `t`, `kind` and `conn`.
///
/// Building a full `JSONValue` for each of a million lines costs seconds; this does the checks
/// RECORDING.md §7 asks of the scan (invalid JSON, missing or non-numeric `t`, missing `kind`,
/// unknown `conn`) without allocating: `kind` and `conn` come back as byte ranges, `t` is read
/// as a fixed-point decimal (`NumberText`).
///
/// It accepts what `JSONParser` accepts, nesting limit included, except that it does not check
/// that strings are valid UTF-8 (a line with bad UTF-8 is indexed and skipped when decoded).
struct LineScanner {
    /// What the scan found in a line that is a valid JSON object; ranges index the scanned buffer.
    struct RawFields {
        /// The last `t` member as a finite number; `nil` when missing or not a number.
        var t: Double?
        /// The value of the last `kind` member, whatever its type.
        var kind: Range<Int>?
        /// Whether that value is a string with backslash escapes.
        var kindHasEscapes = false
        /// The value of the last `conn` member, whatever its type.
        var conn: Range<Int>?
        /// Whether that value is a string with backslash escapes.
        var connHasEscapes = false
    }

    /// What a line is, for `scan(_:_:into:)`.
    enum Shape {
        case object
        case notAnObject
        case invalid
    }

    /// What the scan found, with `kind` and `conn` as strings (for tests and slow paths).
    struct Fields {
        var t: Double?
        /// `nil` when missing or not a string.
        var kind: String?
        /// The raw `conn` value: absent (`nil`), `null` (`.some(nil)`) or a string (`""` when
        /// it is neither).
        var conn: String??
    }

    enum Outcome {
        case object(Fields)
        case notAnObject
        case invalid
    }

    /// Nesting limit, as for the full parser's default: at most this many open containers.
    static let maxDepth = JSONParser.defaultMaxDepth

    private let bytes: UnsafeBufferPointer<UInt8>
    private let end: Int
    private var position: Int
    /// Whether a `\n` ends the line rather than being whitespace: set when scanning a buffer of
    /// lines without knowing where the line ends.
    private let newlineEnds: Bool
    /// Whether the last string `skipString` passed had a backslash escape.
    private var stringHadEscapes = false

    /// A scanner of `bytes[start..<end]`; `end` must not exceed `bytes.count`.
    private init(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, newlineEnds: Bool = false)
    {
        self.bytes = bytes
        self.position = start
        self.end = Swift.min(end, bytes.count)
        self.newlineEnds = newlineEnds
    }

    /// Scans one line (without its `\n`).
    static func scan(_ line: ArraySlice<UInt8>) -> Outcome {
        line.withUnsafeBufferPointer { buffer in
            var raw = RawFields()
            switch scan(buffer, 0..<buffer.count, into: &raw) {
            case .invalid: return .invalid
            case .notAnObject: return .notAnObject
            case .object:
                var fields = Fields(t: raw.t)
                if let kind = raw.kind { fields.kind = string(buffer, kind) }
                if let conn = raw.conn {
                    fields.conn =
                        isNull(buffer, conn) ? .some(nil) : .some(string(buffer, conn) ?? "")
                }
                return .object(fields)
            }
        }
    }

    /// Scans the line `bytes[range]` (without its `\n`); for an object, `fields` (which should
    /// start empty) gets its `t`, `kind` and `conn`.
    @inline(__always)
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into fields: inout RawFields
    ) -> Shape {
        var scanner = LineScanner(bytes: bytes, start: range.lowerBound, end: range.upperBound)
        return scanner.scanLine(&fields)
    }

    /// Scans the line that starts at `start` in a buffer of `\n`-terminated lines, finding its
    /// end on the way: a line that is valid up to a `\n` gives its shape and the position of
    /// that `\n`. `nil` means the line is damaged or has no `\n` (the caller looks for the `\n`
    /// to tell which). No `\n` is ever taken as part of a line, so the answer is the one
    /// `scan(_:_:into:)` gives for the line up to its `\n`.
    @inline(__always)
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, lineFrom start: Int, into fields: inout RawFields
    ) -> (shape: Shape, end: Int)? {
        var scanner = LineScanner(bytes: bytes, start: start, end: bytes.count, newlineEnds: true)
        let shape = scanner.scanLine(&fields)
        if case .invalid = shape { return nil }
        return (shape, scanner.position)
    }

    /// Whether the value `bytes[range]` is `null`.
    static func isNull(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        ByteText.equals(bytes, range, "null")
    }

    /// The string value `bytes[range]` decoded (escapes by the full parser); `nil` if the value
    /// is not a string.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        guard range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
        if let content = ValueBytes.rawString(bytes, range) {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[content]), as: UTF8.self)
        }
        return (try? JSONValue(parsing: UnsafeBufferPointer(rebasing: bytes[range])))?.stringValue
    }

    /// A top-level member: the key's contents (between the quotes, as written) and the value.
    struct Member {
        var key: Range<Int>
        var value: Range<Int>
    }

    /// Checks that `bytes[range]` is a JSON object and stores its members in order; `nil` if it
    /// is not a valid object or has more members than `storage` holds.
    static func members(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
        into storage: UnsafeMutableBufferPointer<Member>
    ) -> Int? {
        var scanner = LineScanner(bytes: bytes, start: range.lowerBound, end: range.upperBound)
        return scanner.scanMembers(into: storage)
    }

    private mutating func scanMembers(into storage: UnsafeMutableBufferPointer<Member>) -> Int? {
        skipWhitespace()
        guard peek(UInt8(ascii: "{")) else { return nil }
        position += 1
        var count = 0
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            position += 1
        } else {
            while true {
                skipWhitespace()
                let keyStart = position
                guard skipString() else { return nil }
                let key = (keyStart + 1)..<(position - 1)
                skipWhitespace()
                guard peek(UInt8(ascii: ":")) else { return nil }
                position += 1
                skipWhitespace()
                let valueStart = position
                guard skipValue(depth: 1), count < storage.count else { return nil }
                storage.initializeElement(
                    at: count, to: Member(key: key, value: valueStart..<position))
                count += 1
                skipWhitespace()
                if peek(UInt8(ascii: ",")) {
                    position += 1
                    continue
                }
                guard peek(UInt8(ascii: "}")) else { return nil }
                position += 1
                break
            }
        }
        skipWhitespace()
        return position == end ? count : nil
    }

    @inline(__always)
    private mutating func scanLine(_ fields: inout RawFields) -> Shape {
        skipWhitespace()
        guard position < end else { return .invalid }
        if bytes[position] != UInt8(ascii: "{") {
            guard skipValue(depth: 0) else { return .invalid }
            skipWhitespace()
            return atLineEnd ? .notAnObject : .invalid
        }
        position += 1
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            position += 1
            skipWhitespace()
            return atLineEnd ? .object : .invalid
        }
        // The writer's layout first: `"t":NUMBER,"kind":"…","conn":"…"`, matched directly.
        // Whatever it consumes is what the general loop below would have read.
        var inMember = true
        if matches("\"t\":"), position + 4 < end,
            bytes[position + 4] == UInt8(ascii: "-") || bytes[position + 4] &- 0x30 < 10
        {
            position += 4
            guard let t = scanNumber() else { return .invalid }
            fields.t = t.isFinite ? t : nil
            inMember = false
            if matches(",\"kind\":\"") {
                position += 8
                let valueStart = position
                guard skipString() else { return .invalid }
                fields.kind = valueStart..<position
                fields.kindHasEscapes = stringHadEscapes
                if matches(",\"conn\":\"") {
                    position += 8
                    let connStart = position
                    guard skipString() else { return .invalid }
                    fields.conn = connStart..<position
                    fields.connHasEscapes = stringHadEscapes
                }
            }
        }
        while true {
            if inMember {
                guard scanMember(&fields) else { return .invalid }
            }
            inMember = true
            skipWhitespace()
            guard position < end else { return .invalid }
            let next = bytes[position]
            position += 1
            if next == UInt8(ascii: ",") {
                skipWhitespace()
                continue
            }
            guard next == UInt8(ascii: "}") else { return .invalid }
            break
        }
        skipWhitespace()
        return atLineEnd ? .object : .invalid
    }

    /// Whether the line ends at `position`.
    private var atLineEnd: Bool {
        newlineEnds ? position < end && bytes[position] == 0x0A : position == end
    }

    /// Whether the bytes at `position` are `text`.
    @inline(__always)
    private func matches(_ text: StaticString) -> Bool {
        ByteText.equals(bytes, position..<Swift.min(end, position + text.utf8CodeUnitCount), text)
    }

    /// Reads one `"key": value` member at `position` (after whitespace), noting `t`, `kind`
    /// and `conn`.
    @inline(__always)
    private mutating func scanMember(_ fields: inout RawFields) -> Bool {
        let keyStart = position + 1
        guard skipString() else { return false }
        let keyLength = position - 1 - keyStart
        skipWhitespace()
        guard peek(UInt8(ascii: ":")) else { return false }
        position += 1
        skipWhitespace()
        let valueStart = position
        guard position < end else { return false }
        // Keys are compared as written: an escaped key is not one of these.
        let first = bytes[position]
        if first == UInt8(ascii: "\"") {
            guard skipString() else { return false }
            if keyLength == 4 {
                if ByteText.equals(bytes, keyStart..<(keyStart + 4), "kind") {
                    fields.kind = valueStart..<position
                    fields.kindHasEscapes = stringHadEscapes
                } else if ByteText.equals(bytes, keyStart..<(keyStart + 4), "conn") {
                    fields.conn = valueStart..<position
                    fields.connHasEscapes = stringHadEscapes
                }
            } else if keyLength == 1 && bytes[keyStart] == UInt8(ascii: "t") {
                fields.t = nil
            }
        } else if first == UInt8(ascii: "-") || first &- 0x30 < 10 {
            if keyLength == 1 && bytes[keyStart] == UInt8(ascii: "t") {
                guard let t = scanNumber() else { return false }
                fields.t = t.isFinite ? t : nil
            } else {
                guard skipNumber() else { return false }
            }
            if keyLength == 4 { markKindOrConn(&fields, keyStart, valueStart) }
        } else {
            guard skipValue(depth: 1) else { return false }
            if keyLength == 1 && bytes[keyStart] == UInt8(ascii: "t") {
                fields.t = nil
            } else if keyLength == 4 {
                markKindOrConn(&fields, keyStart, valueStart)
            }
        }
        return true
    }

    /// Records a `kind` or `conn` member whose value (not a string) ends at `position`.
    @inline(__always)
    private func markKindOrConn(_ fields: inout RawFields, _ keyStart: Int, _ valueStart: Int) {
        if ByteText.equals(bytes, keyStart..<(keyStart + 4), "kind") {
            fields.kind = valueStart..<position
            fields.kindHasEscapes = false
        } else if ByteText.equals(bytes, keyStart..<(keyStart + 4), "conn") {
            fields.conn = valueStart..<position
            fields.connHasEscapes = false
        }
    }

    /// Checks a number against the JSON grammar, like `skipNumber`, and reads it; `nil` if it
    /// does not match the grammar, an infinite value if it is out of range. The common shape
    /// is read as fixed point (see `NumberText.double`); others through `Double(String)`.
    @inline(__always)
    private mutating func scanNumber() -> Double? {
        guard let (next, value) = Self.readNumber(bytes, from: position, end: end) else {
            return nil
        }
        position = next
        return value
    }

    /// The number at `start` (JSON grammar) and where it ends; `nil` if there is none, an
    /// infinite value if it is out of range. Works on locals so that it stays in registers.
    @inline(__always)
    private static func readNumber(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, end: Int)
        -> (Int, Double)?
    {
        var p = start
        guard p < end else { return nil }
        let negative = bytes[p] == UInt8(ascii: "-")
        if negative { p &+= 1 }
        guard p < end else { return nil }
        var mantissa: UInt64 = 0
        var digits = 0
        if bytes[p] == UInt8(ascii: "0") {
            p &+= 1
            digits = 1
        } else {
            while p < end, bytes[p] &- 0x30 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(bytes[p] &- 0x30)
                digits &+= 1
                p &+= 1
            }
            guard digits > 0 else { return nil }
        }
        var decimals = 0
        if p < end, bytes[p] == UInt8(ascii: ".") {
            p &+= 1
            while p < end, bytes[p] &- 0x30 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(bytes[p] &- 0x30)
                decimals &+= 1
                p &+= 1
            }
            guard decimals > 0 else { return nil }
            digits &+= decimals
        }
        if p < end, bytes[p] | 0x20 == UInt8(ascii: "e") {
            p &+= 1
            if p < end, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p &+= 1 }
            let exponentStart = p
            while p < end, bytes[p] &- 0x30 < 10 { p &+= 1 }
            guard p > exponentStart else { return nil }
        } else if digits <= 15, decimals <= 22 {
            // `mantissa < 10^15`, so the signed conversion (one instruction) is exact.
            let magnitude = Double(Int64(bitPattern: mantissa)) / NumberText.powerOfTen(decimals)
            return (p, negative ? -magnitude : magnitude)
        }
        return (p, NumberText.slowDouble(bytes, start..<p) ?? .infinity)
    }

    @inline(__always)
    private func peek(_ byte: UInt8) -> Bool { position < end && bytes[position] == byte }

    @inline(__always)
    private mutating func skipWhitespace() {
        var p = position
        while p < end {
            switch bytes[p] {
            case 0x20, 0x09, 0x0D: p &+= 1
            case 0x0A where !newlineEnds: p &+= 1
            default:
                position = p
                return
            }
        }
        position = p
    }

    /// Skips one value. Containers are walked with an explicit stack rather than recursion,
    /// which keeps the large `snap` lines cheap. `baseDepth` is the number of containers
    /// already open around the value (1 for a member of the line's object): as in
    /// `JSONParser`, at most `maxDepth` containers may be open at once.
    private mutating func skipValue(depth baseDepth: Int) -> Bool {
        // One bit per container opened here: 1 = object, 0 = array.
        var stack = ContainerStack()
        // Whether the innermost container opened here is an object (meaningless when none).
        var inObject = false
        while true {
            // A value.
            guard position < end else { return false }
            let first = bytes[position]
            if first == UInt8(ascii: "\"") {
                guard skipString() else { return false }
            } else if first == UInt8(ascii: "-") || first &- 0x30 < 10 {
                guard skipNumber() else { return false }
            } else if first == UInt8(ascii: "[") || first == UInt8(ascii: "{") {
                let isObject = first == UInt8(ascii: "{")
                guard baseDepth + stack.count < Self.maxDepth else { return false }
                // `[number,number]` or `[number,null]`, as in a snap's histories, in one go.
                if isObject || !skipNumberPairs() {
                    position += 1
                    skipWhitespace()
                    if peek(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        position += 1
                    } else {
                        stack.push(isObject)
                        inObject = isObject
                        if isObject {
                            guard skipKey() else { return false }
                        }
                        continue
                    }
                }
            } else if first == UInt8(ascii: "t") {
                guard skipLiteral("true") else { return false }
            } else if first == UInt8(ascii: "f") {
                guard skipLiteral("false") else { return false }
            } else if first == UInt8(ascii: "n") {
                guard skipLiteral("null") else { return false }
            } else {
                return false
            }
            // After a value: close containers until one continues with `,` or none is open.
            while true {
                if stack.count == 0 { return true }
                skipWhitespace()
                guard position < end else { return false }
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: ",") {
                    skipWhitespace()
                    if inObject {
                        guard skipKey() else { return false }
                    }
                    break
                }
                guard byte == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    return false
                }
                stack.pop()
                inObject = stack.top ?? false
            }
        }
    }

    /// Skips a run of `[number,number]` / `[number,null]` pairs separated by commas (no
    /// whitespace) at `position`, stopping after the last pair; false if there is none.
    @inline(__always)
    private mutating func skipNumberPairs() -> Bool {
        guard var p = Self.numberPairEnd(bytes, from: position, end: end) else { return false }
        while p &+ 1 < end, bytes[p] == UInt8(ascii: ","), bytes[p &+ 1] == UInt8(ascii: "["),
            let next = Self.numberPairEnd(bytes, from: p &+ 1, end: end)
        {
            p = next
        }
        position = p
        return true
    }

    /// Where `[number,number]` or `[number,null]` at `start` ends, or `nil`.
    @inline(__always)
    private static func numberPairEnd(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, end: Int
    )
        -> Int?
    {
        guard let first = numberEnd(bytes, from: start &+ 1, end: end), first < end,
            bytes[first] == UInt8(ascii: ",")
        else { return nil }
        var p = first &+ 1
        if p + 4 <= end, bytes[p] == UInt8(ascii: "n") {
            guard ByteText.equals(bytes, p..<(p &+ 4), "null") else { return nil }
            p &+= 4
        } else {
            guard let second = numberEnd(bytes, from: p, end: end) else { return nil }
            p = second
        }
        guard p < end, bytes[p] == UInt8(ascii: "]") else { return nil }
        return p &+ 1
    }

    /// Skips `"key" :` and the whitespace after it.
    @inline(__always)
    private mutating func skipKey() -> Bool {
        skipWhitespace()
        guard skipString() else { return false }
        skipWhitespace()
        guard peek(UInt8(ascii: ":")) else { return false }
        position += 1
        skipWhitespace()
        return true
    }

    /// Skips a string; the usual short string without escapes is handled inline.
    @inline(__always)
    private mutating func skipString() -> Bool {
        guard position < end, bytes[position] == UInt8(ascii: "\"") else { return false }
        if position + 9 <= end, let base = bytes.baseAddress {
            let word = UInt64(
                littleEndian: UnsafeRawPointer(base + position + 1).loadUnaligned(as: UInt64.self))
            let special = Self.specialStringBytes(word)
            if special != 0 {
                let offset = special.trailingZeroBitCount >> 3
                if bytes[position + 1 + offset] == UInt8(ascii: "\"") {
                    position += offset + 2
                    stringHadEscapes = false
                    return true
                }
            }
        }
        return skipStringSlowly()
    }

    @inline(never)
    private mutating func skipStringSlowly() -> Bool {
        position += 1
        stringHadEscapes = false
        while true {
            // Eight bytes at a time up to the first quote, backslash or control byte.
            if let base = bytes.baseAddress {
                while position + 8 <= end {
                    let word = UInt64(
                        littleEndian: UnsafeRawPointer(base + position).loadUnaligned(
                            as: UInt64.self))
                    let special = Self.specialStringBytes(word)
                    if special != 0 {
                        position += special.trailingZeroBitCount >> 3
                        break
                    }
                    position += 8
                }
            }
            guard position < end else { return false }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return true }
            if byte == UInt8(ascii: "\\") {
                stringHadEscapes = true
                guard position < end else { return false }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    guard position + 4 <= end else { return false }
                    for offset in 0..<4 where !Self.isHexDigit(bytes[position + offset]) {
                        return false
                    }
                    position += 4
                default:
                    return false
                }
            } else if byte < 0x20 {
                return false
            }
        }
    }

    /// A mask whose lowest set bit is the high bit of the first byte of `word` (little endian)
    /// that is `"`, `\` or below 0x20; 0 if there is none. (Bits above the first may be set
    /// spuriously by borrows; only the lowest one is used.)
    @inline(__always)
    private static func specialStringBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let isQuote = (quote &- ones) & ~quote
        let isBackslash = (backslash &- ones) & ~backslash
        let isControl = (word &- ones &* 0x20) & ~word
        return (isQuote | isBackslash | isControl) & highs
    }

    @inline(__always)
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
    }

    @inline(__always)
    private mutating func skipLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard position + count <= end, ByteText.equals(bytes, position..<(position + count), word)
        else { return false }
        position += count
        return true
    }

    /// JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    @inline(__always)
    private mutating func skipNumber() -> Bool {
        guard let next = Self.numberEnd(bytes, from: position, end: end) else { return false }
        position = next
        return true
    }

    /// Where the number at `start` (JSON grammar) ends, or `nil` if there is none.
    @inline(__always)
    private static func numberEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, end: Int)
        -> Int?
    {
        var p = start
        if p < end, bytes[p] == UInt8(ascii: "-") { p &+= 1 }
        guard p < end else { return nil }
        if bytes[p] == UInt8(ascii: "0") {
            p &+= 1
        } else {
            let digitsStart = p
            while p < end, bytes[p] &- 0x30 < 10 { p &+= 1 }
            guard p > digitsStart else { return nil }
        }
        if p < end, bytes[p] == UInt8(ascii: ".") {
            p &+= 1
            let digitsStart = p
            while p < end, bytes[p] &- 0x30 < 10 { p &+= 1 }
            guard p > digitsStart else { return nil }
        }
        if p < end, bytes[p] | 0x20 == UInt8(ascii: "e") {
            p &+= 1
            if p < end, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p &+= 1 }
            let digitsStart = p
            while p < end, bytes[p] &- 0x30 < 10 { p &+= 1 }
            guard p > digitsStart else { return nil }
        }
        return p
    }
}

/// The open containers of `LineScanner.skipValue`, one bit each (1 = object), up to 256.
private struct ContainerStack {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private(set) var count = 0

    /// Whether the innermost open container is an object; `nil` when none is open.
    var top: Bool? {
        guard count > 0 else { return nil }
        return bit(count - 1)
    }

    private func bit(_ index: Int) -> Bool {
        let word: UInt64
        switch index >> 6 {
        case 0: word = words.0
        case 1: word = words.1
        case 2: word = words.2
        default: word = words.3
        }
        return (word >> UInt64(index & 63)) & 1 == 1
    }

    /// Opens a container; the caller keeps `count` below 256.
    mutating func push(_ isObject: Bool) {
        let mask: UInt64 = 1 << UInt64(count & 63)
        let value: UInt64 = isObject ? mask : 0
        switch count >> 6 {
        case 0: words.0 = (words.0 & ~mask) | value
        case 1: words.1 = (words.1 & ~mask) | value
        case 2: words.2 = (words.2 & ~mask) | value
        default: words.3 = (words.3 & ~mask) | value
        }
        count += 1
    }

    mutating func pop() { count -= 1 }
}

/// Byte comparisons against static text, for keys and kind names.
enum ByteText {
    /// Whether `bytes[range]` is exactly `text`.
    @inline(__always)
    static func equals(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ text: StaticString
    )
        -> Bool
    {
        let count = text.utf8CodeUnitCount
        guard range.count == count, range.lowerBound >= 0, range.upperBound <= bytes.count else {
            return false
        }
        let expected = text.utf8Start
        var index = 0
        while index < count {
            if bytes[range.lowerBound + index] != expected[index] { return false }
            index += 1
        }
        return true
    }
}

/// Reading JSON number literals without going through `String` and `strtod` in the common
/// case.
enum NumberText {
    /// The number literal `bytes[range]` (already checked against the JSON grammar, or `nil` is
    /// returned) as a finite `Double`, exactly as `Double(String)` reads it; `nil` if the
    /// value is not a number or is out of range.
    ///
    /// Fast path: no exponent, at most 15 significant digits and 22 decimals. The digits then
    /// form an integer `m < 2^53` and `10^k` is exact, so `m / 10^k` is one correctly rounded
    /// operation — the same double `strtod` returns for the text (Clinger's fast path). Other
    /// shapes (exponents, long mantissas) go through `Double(String)`.
    static func double(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        guard !range.isEmpty, range.upperBound <= bytes.count, range.lowerBound >= 0 else {
            return nil
        }
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < range.upperBound, bytes[index] &- 0x30 < 10 else { return nil }
        var mantissa: UInt64 = 0
        var digits = 0
        while index < range.upperBound, bytes[index] &- 0x30 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- 0x30)
            digits += 1
            index += 1
        }
        var decimals = 0
        if index < range.upperBound, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < range.upperBound, bytes[index] &- 0x30 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- 0x30)
                digits += 1
                decimals += 1
                index += 1
            }
        }
        if index == range.upperBound, digits <= 15, decimals <= 22 {
            let magnitude = Double(Int64(bitPattern: mantissa)) / powerOfTen(decimals)
            return negative ? -magnitude : magnitude
        }
        return slowDouble(bytes, range)
    }

    /// `10^exponent`, exact for `0...22`.
    @inline(__always)
    static func powerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1000
        default:
            var result = 1000.0
            for _ in 3..<exponent { result *= 10 }
            return result
        }
    }

    /// The reference reading: `Double(String)`, finite only.
    static func slowDouble(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        guard let first = range.first.map({ bytes[$0] }),
            first == UInt8(ascii: "-") || first &- 0x30 < 10
        else { return nil }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
