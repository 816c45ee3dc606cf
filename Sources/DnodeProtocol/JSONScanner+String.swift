/// Strings: the grammar check, eight bytes at a time where there is nothing to see.
extension JSONScanner {
    /// Skips the string at `position` (which must be at its opening quote) and notes in
    /// `stringHadEscapes` whether it had a backslash escape. On failure `failure` says why and
    /// where, as `JSONParser` reports it: an unescaped control byte, a bad escape (at its
    /// backslash), or the end of the input. UTF-8 is not checked here (the parser checks it
    /// when it makes the `String`).
    @inlinable @inline(__always)
    public mutating func skipString() -> Bool {
        guard byteIfInRange(position) == UInt8(ascii: "\"") else {
            failure = JSONError(
                offset: position,
                problem: position < end
                    ? .unexpectedByte(byte(at: position))
                    : .unexpectedEnd)
            return false
        }
        // The usual short string without escapes, in one load.
        // From here `0 <= position < end` (the guard above).
        if position + 9 <= end, let base = bytes.baseAddress {
            // In range: reads `position + 1 ..< position + 9`, and `position + 9 <= end`.
            let word = UInt64(
                littleEndian: UnsafeRawPointer(base + position + 1).loadUnaligned(as: UInt64.self))
            let special = Self.specialStringBytes(word)
            if special != 0 {
                let offset = special.trailingZeroBitCount >> 3
                // In range: `offset < 8`, so this is inside the eight bytes just loaded.
                if bytes[position + 1 + offset] == UInt8(ascii: "\"") {
                    position += offset + 2
                    stringHadEscapes = false
                    return true
                }
            }
        }
        return skipStringSlowly()
    }

    @usableFromInline @inline(never)
    mutating func skipStringSlowly() -> Bool {
        position += 1
        stringHadEscapes = false
        while true {
            // Eight bytes at a time up to the first quote, backslash or control byte.
            if let base = bytes.baseAddress {
                while position + 8 <= end {
                    // In range: reads `position ..< position + 8`, and `position + 8 <= end`.
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
            guard let byte = byteIfInRange(position) else { return fail(at: end, .unexpectedEnd) }
            if byte == UInt8(ascii: "\"") {
                position += 1
                return true
            }
            if byte == UInt8(ascii: "\\") {
                stringHadEscapes = true
                guard skipEscape() else { return false }
            } else if byte < 0x20 {
                return fail(at: position, .controlCharacterInString(byte))
            } else {
                position += 1
            }
        }
    }

    /// Skips the escape whose backslash is at `position`.
    private mutating func skipEscape() -> Bool {
        let backslash = position
        position += 1
        guard position < end else { return fail(at: end, .unexpectedEnd) }
        let escaped = byte(at: position)
        position += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return true
        case UInt8(ascii: "u"):
            guard position + 4 <= end else { return fail(at: backslash, .invalidEscape) }
            for offset in 0..<4 where Self.hexValue(byte(at: position + offset)) == nil {
                return fail(at: backslash, .invalidEscape)
            }
            position += 4
            return true
        default:
            return fail(at: backslash, .invalidEscape)
        }
    }

    private mutating func fail(at offset: Int, _ problem: JSONError.Problem) -> Bool {
        failure = JSONError(offset: offset, problem: problem)
        return false
    }

    /// The value of a hex digit, or `nil`.
    @inlinable @inline(__always)
    public static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte &- UInt8(ascii: "A") &+ 10)
        default: nil
        }
    }

    /// A mask whose lowest set bit is the high bit of the first byte of `word` (little endian)
    /// that is `"`, `\` or below 0x20; 0 if there is none. (Bits above the first may be set
    /// spuriously by borrows; only the lowest one is used.)
    @inlinable @inline(__always)
    static func specialStringBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let isQuote = (quote &- ones) & ~quote
        let isBackslash = (backslash &- ones) & ~backslash
        let isControl = (word &- ones &* 0x20) & ~word
        return (isQuote | isBackslash | isControl) & highs
    }

    /// The contents of the string value `bytes[value]` when it is one without escapes
    /// (between its quotes), else `nil`.
    @inlinable @inline(__always)
    public static func rawString(_ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>)
        -> Range<Int>?
    {
        guard value.count >= 2, value.lowerBound >= 0, value.upperBound <= bytes.count,
            bytes[value.lowerBound] == UInt8(ascii: "\""),
            bytes[value.upperBound - 1] == UInt8(ascii: "\"")
        else { return nil }
        // Both ends were checked against the buffer by the guard.
        let content = (value.lowerBound + 1)..<(value.upperBound - 1)
        for position in content where bytes[position] == UInt8(ascii: "\\") { return nil }
        return content
    }
}
