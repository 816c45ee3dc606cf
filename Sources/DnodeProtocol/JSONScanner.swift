/// The package's one JSON grammar (RFC 8259): whitespace, strings, numbers, literals and
/// whole values are checked here, for `JSONParser` (which builds `JSONValue`s on top) and for
/// the recording's byte-level readers in UpnodeMonitor (which check and pick out members
/// without building values).
///
/// Safety: the input is untrusted (network lines, recording files), so no read goes past
/// `end`, and `end` never exceeds the buffer's count. Every byte is read through `byte(at:)`,
/// which traps on an index out of range instead of reading it; the two 8-byte loads of string
/// skipping (`JSONScanner+String.swift`) are behind a guard that proves them in range.
///
/// A step that fails returns `false` or `nil`; the string and literal steps also leave
/// `failure` saying why and where, which the parser turns into its `JSONError`.
public struct JSONScanner {
    /// The whole buffer; only `bytes[..<end]` is ever read.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// One past the last byte that may be read.
    public let end: Int
    /// The next byte to read.
    public var position: Int
    /// Whether a `\n` ends the input rather than being whitespace: set when scanning a buffer
    /// of lines without knowing where the current one ends.
    public let newlineEnds: Bool
    /// Whether the last string `skipString` passed had a backslash escape.
    public var stringHadEscapes = false
    /// Why the last failed string or literal step failed.
    public var failure = JSONError(offset: 0, problem: .unexpectedEnd)

    /// Nesting limit of `skipValue` and `JSONParser.defaultMaxDepth`: at most this many
    /// containers open at once. (Computed, so that inlined callers read a constant.)
    @inlinable public static var maxDepth: Int { 256 }

    /// A scanner of `bytes[range]` (the whole buffer by default), clamped to the buffer.
    @inlinable
    public init(
        _ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil, newlineEnds: Bool = false
    ) {
        self.bytes = bytes
        let end = Swift.min(range?.upperBound ?? bytes.count, bytes.count)
        self.end = Swift.max(0, end)
        self.position = Swift.min(Swift.max(0, range?.lowerBound ?? 0), self.end)
        self.newlineEnds = newlineEnds
    }

    // MARK: - Reading bytes

    /// The byte at `index`; traps if `index` is outside `0..<end` (never reads it).
    @inlinable @inline(__always)
    public func byte(at index: Int) -> UInt8 {
        precondition(UInt(bitPattern: index) < UInt(bitPattern: end), "read past the JSON input")
        return bytes[index]
    }

    /// The byte at `index` if `0 <= index < end`, else `nil`: the one unsigned compare is
    /// both the loop guard of the scanning loops and what proves their reads in range.
    @inlinable @inline(__always)
    public func byteIfInRange(_ index: Int) -> UInt8? {
        guard UInt(bitPattern: index) < UInt(bitPattern: end) else { return nil }
        return bytes[index]  // in range: the guard above, and `end <= bytes.count` (init)
    }

    /// Whether `position` is at the end of the input.
    @inlinable @inline(__always)
    public var isAtEnd: Bool { position >= end }

    /// The byte at `position`, or `nil` at the end.
    @inlinable @inline(__always)
    public var current: UInt8? { byteIfInRange(position) }

    /// Whether the byte at `position` is `byte`.
    @inlinable @inline(__always)
    public func peek(_ byte: UInt8) -> Bool { byteIfInRange(position) == byte }

    /// Whether the bytes at `position` are `text`.
    @inlinable @inline(__always)
    public func matches(_ text: StaticString) -> Bool {
        Self.equals(bytes, position..<Swift.min(end, position + text.utf8CodeUnitCount), text)
    }

    /// Whether the input ends at `position`: at its end, or (with `newlineEnds`) at a `\n`.
    @inlinable
    public var atLineEnd: Bool {
        newlineEnds ? position < end && byte(at: position) == 0x0A : position == end
    }

    /// Whether `bytes[range]` is exactly `text`; `false` for a range outside the buffer.
    @inlinable @inline(__always)
    public static func equals(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ text: StaticString
    ) -> Bool {
        let count = text.utf8CodeUnitCount
        guard range.count == count, range.lowerBound >= 0, range.upperBound <= bytes.count else {
            return false
        }
        let expected = text.utf8Start
        var index = 0
        while index < count {
            // `lowerBound + index < upperBound <= bytes.count` (guard above); the static
            // text has `count` bytes.
            if bytes[range.lowerBound + index] != expected[index] { return false }
            index += 1
        }
        return true
    }

    // MARK: - Whitespace and literals

    /// Skips JSON whitespace (space, tab, CR, and LF unless `newlineEnds`).
    @inlinable @inline(__always)
    public mutating func skipWhitespace() {
        var p = position
        while let byte = byteIfInRange(p) {
            switch byte {
            case 0x20, 0x09, 0x0D: p &+= 1
            case 0x0A where !newlineEnds: p &+= 1
            default:
                position = p
                return
            }
        }
        position = p
    }

    /// Skips `word` (`true`, `false`, `null`). On failure `position` is unchanged and `failure`
    /// says, as `JSON.parse` does, an unexpected byte at the start of the word, or the end.
    @inlinable @inline(__always)
    public mutating func skipLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        if position + count <= end, Self.equals(bytes, position..<(position + count), word) {
            position += count
            return true
        }
        literalFailure(word)
        return false
    }

    @usableFromInline @inline(never)
    mutating func literalFailure(_ word: StaticString) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for (offset, byte) in expected.enumerated() {
            guard position + offset < end else {
                failure = JSONError(offset: position + offset, problem: .unexpectedEnd)
                return
            }
            if self.byte(at: position + offset) != byte { break }
        }
        failure = JSONError(
            offset: position, problem: .unexpectedByte(position < end ? byte(at: position) : 0))
    }

    // MARK: - Whole values

    /// Skips one value. Containers are walked with an explicit stack rather than recursion,
    /// which keeps the large recording `snap` lines cheap. `baseDepth` is the number of
    /// containers already open around the value (1 for a member of a line's object): as in
    /// `JSONParser`, at most `maxDepth` containers may be open at once.
    @inlinable
    public mutating func skipValue(depth baseDepth: Int) -> Bool {
        var stack = ContainerStack()
        // Whether the innermost container opened here is an object (meaningless when none).
        var inObject = false
        while true {
            // A value.
            guard let first = byteIfInRange(position) else { return false }
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
                guard let byte = byteIfInRange(position) else { return false }
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
    @inlinable @inline(__always)
    internal mutating func skipNumberPairs() -> Bool {
        guard var p = numberPairEnd(from: position) else { return false }
        while byteIfInRange(p) == UInt8(ascii: ","), byteIfInRange(p &+ 1) == UInt8(ascii: "["),
            let next = numberPairEnd(from: p &+ 1)
        {
            p = next
        }
        position = p
        return true
    }

    /// Where `[number,number]` or `[number,null]` at `start` ends, or `nil`.
    @inlinable @inline(__always)
    internal func numberPairEnd(from start: Int) -> Int? {
        guard let first = Self.numberEnd(self, from: start &+ 1),
            byteIfInRange(first) == UInt8(ascii: ",")
        else { return nil }
        var p = first &+ 1
        if byteIfInRange(p) == UInt8(ascii: "n") {
            guard Self.equals(bytes, p..<Swift.min(end, p &+ 4), "null") else { return nil }
            p &+= 4
        } else {
            guard let second = Self.numberEnd(self, from: p) else { return nil }
            p = second
        }
        guard byteIfInRange(p) == UInt8(ascii: "]") else { return nil }
        return p &+ 1
    }

    /// Skips `"key" :` and the whitespace around it.
    @inlinable @inline(__always)
    internal mutating func skipKey() -> Bool {
        skipWhitespace()
        guard skipString() else { return false }
        skipWhitespace()
        guard peek(UInt8(ascii: ":")) else { return false }
        position += 1
        skipWhitespace()
        return true
    }

    // MARK: - Object members

    /// One member of an object: the key's contents (between the quotes, as written) and the
    /// value's bytes.
    public struct Member: Sendable {
        /// The key's contents, between its quotes, escapes as written.
        public var key: Range<Int>
        /// The value's bytes.
        public var value: Range<Int>

        @inlinable
        init(key: Range<Int>, value: Range<Int>) {
            self.key = key
            self.value = value
        }
    }

    /// Checks that `bytes[range]` is exactly one JSON object (whitespace around it allowed)
    /// and stores its members in order; `nil` if it is not, or has more members than
    /// `storage` holds.
    @inlinable
    public static func members(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
        into storage: UnsafeMutableBufferPointer<Member>
    ) -> Int? {
        var scanner = JSONScanner(bytes, range: range)
        scanner.skipWhitespace()
        guard scanner.peek(UInt8(ascii: "{")) else { return nil }
        scanner.position += 1
        var count = 0
        scanner.skipWhitespace()
        if scanner.peek(UInt8(ascii: "}")) {
            scanner.position += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let keyStart = scanner.position
                guard scanner.skipString() else { return nil }
                let key = (keyStart + 1)..<(scanner.position - 1)
                scanner.skipWhitespace()
                guard scanner.peek(UInt8(ascii: ":")) else { return nil }
                scanner.position += 1
                scanner.skipWhitespace()
                let valueStart = scanner.position
                guard scanner.skipValue(depth: 1), count < storage.count else { return nil }
                // `count < storage.count` (guard above).
                storage.initializeElement(
                    at: count, to: Member(key: key, value: valueStart..<scanner.position))
                count += 1
                scanner.skipWhitespace()
                if scanner.peek(UInt8(ascii: ",")) {
                    scanner.position += 1
                    continue
                }
                guard scanner.peek(UInt8(ascii: "}")) else { return nil }
                scanner.position += 1
                break
            }
        }
        scanner.skipWhitespace()
        return scanner.position == scanner.end ? count : nil
    }
}

/// The open containers of `JSONScanner.skipValue`, one bit each (1 = object), up to 256.
@usableFromInline
struct ContainerStack {
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    @usableFromInline var count = 0

    @inlinable init() {}

    /// Whether the innermost open container is an object; `nil` when none is open.
    @inlinable var top: Bool? {
        guard count > 0 else { return nil }
        return bit(count - 1)
    }

    @inlinable func bit(_ index: Int) -> Bool {
        let word: UInt64
        switch index >> 6 {
        case 0: word = words.0
        case 1: word = words.1
        case 2: word = words.2
        default: word = words.3
        }
        return (word >> UInt64(index & 63)) & 1 == 1
    }

    /// Opens a container; the caller keeps `count` below 256 (`JSONScanner.maxDepth`).
    @inlinable mutating func push(_ isObject: Bool) {
        precondition(count < 256, "container stack overflow")
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

    @inlinable mutating func pop() { count -= 1 }
}
