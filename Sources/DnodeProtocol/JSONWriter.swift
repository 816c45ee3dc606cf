/// The printer's output buffer and value writer (`JSONPrinter`'s work).
///
/// The bytes go to a buffer the writer grows itself, starting on the stack, and are appended
/// to the caller's array once at the end: a byte written is a store and a compare, where an
/// `Array` append also checks that its storage is uniquely referenced every time.
struct JSONWriter: ~Copyable {
    /// The buffer: `capacity` bytes, the first `count` written.
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    /// Whether `base` was allocated here (else it is the caller's stack buffer).
    private var owned = false

    private init(initial: UnsafeMutableBufferPointer<UInt8>) {
        // `appending` passes a buffer of a constant, non-zero size.
        base = initial.baseAddress.unsafelyUnwrapped
        capacity = initial.count
    }

    deinit {
        if owned { base.deallocate() }
    }

    /// Runs `body` with a writer, then appends what it wrote to `output`.
    @inline(__always)
    static func appending(to output: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { initial in
            var writer = JSONWriter(initial: initial)
            body(&writer)
            output.append(contentsOf: UnsafeBufferPointer(start: writer.base, count: writer.count))
        }
    }

    // MARK: Bytes

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if capacity &- count < extra { grow(extra) }
    }

    @inline(never)
    private mutating func grow(_ extra: Int) {
        let newCapacity = Swift.max(capacity * 2, count + extra)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        if owned { base.deallocate() }
        base = newBase
        capacity = newCapacity
        owned = true
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        // In range: `reserve` made `count < capacity`.
        base[count] = byte
        count &+= 1
    }

    /// Appends two bytes (an escape such as `\n`).
    @inline(__always)
    mutating func append(_ first: UInt8, _ second: UInt8) {
        reserve(2)
        base[count] = first
        base[count &+ 1] = second
        count &+= 2
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count &+= bytes.count
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends bytes that `body` writes at the pointer it is given (at most `maximum` of them)
    /// and counts (its return value).
    @inline(__always)
    mutating func appendWritten(
        maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int
    ) {
        reserve(maximum)
        count &+= body(base + count)
    }

    // MARK: Values

    /// Writes `value` as compact JSON, strings in `style`.
    mutating func write(_ value: borrowing JSONValue, style: JSONPrinter.Style) {
        switch value {
        case .null: append("null")
        case .bool(let flag): flag ? append("true") : append("false")
        case .int(let number): writeInteger(number)
        case .double(let number): writeDouble(number)
        case .string(let text): writeString(text, style: style)
        case .array(let elements): writeArray(elements, style: style)
        case .object(let members): writeObject(members, style: style)
        }
    }

    mutating func writeObject(
        _ members: JSONObject, style: JSONPrinter.Style
    ) {
        append(UInt8(ascii: "{"))
        // Through the storage, not the object's iterator: no copies (and their retains) of
        // the members.
        _ = members.withContiguousStorageIfAvailable { members in
            for index in members.indices {
                if index > 0 { append(UInt8(ascii: ",")) }
                writeString(members[index].key, style: style)
                append(UInt8(ascii: ":"))
                write(members[index].value, style: style)
            }
        }
        append(UInt8(ascii: "}"))
    }

    mutating func writeArray(_ elements: [JSONValue], style: JSONPrinter.Style) {
        append(UInt8(ascii: "["))
        elements.withUnsafeBufferPointer { elements in
            for index in elements.indices {
                if index > 0 { append(UInt8(ascii: ",")) }
                write(elements[index], style: style)
            }
        }
        append(UInt8(ascii: "]"))
    }

    /// Writes the decimal digits of `number` (and its sign).
    mutating func writeInteger(_ number: Int64) {
        if UInt64(bitPattern: number) < 10 {
            append(UInt8(truncatingIfNeeded: number) &+ UInt8(ascii: "0"))
            return
        }
        // At most 20 bytes: the 19 digits of `Int64.min` and its sign.
        appendWritten(maximum: 20) { out in
            var magnitude = number.magnitude
            var digits = 1
            var rest = magnitude / 10
            while rest > 0 {
                digits &+= 1
                rest /= 10
            }
            let sign = number < 0 ? 1 : 0
            if sign == 1 { out[0] = UInt8(ascii: "-") }
            var index = sign &+ digits
            repeat {
                index &-= 1
                out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            return sign &+ digits
        }
    }

    /// JavaScript's `Number#toString` (ECMA-262 Number::toString): shortest round-trip digits,
    /// plain notation for exponents −7 < n ≤ 21, otherwise `d.ddde±x`. NaN and ±Infinity
    /// become `null` and −0 becomes `0`, as `JSON.stringify` does.
    mutating func writeDouble(_ number: Double) {
        guard number.isFinite else {
            append("null")
            return
        }
        if number == 0 {
            append(UInt8(ascii: "0"))
            return
        }
        if writeShortDecimal(number) { return }
        var bytes: [UInt8] = []
        JSONPrinter.writeDoubleFromDescription(number, into: &bytes)
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// The fast path of `writeDouble` for the usual numbers: magnitude in [1e-6, 2^53) and at
    /// most 15 significant digits, which JavaScript prints in plain notation. Returns false
    /// (nothing written) for any other number.
    ///
    /// For k = 0, 1, 2, … it takes m = round(|x| · 10^k) and stops at the first k where
    /// m / 10^k reads back as |x|. While m < 10^15 the product is off by less than 0.2 from
    /// the exact one, so m is the only candidate with k decimals, and m / 10^k (m < 2^53,
    /// 10^k exact) is the correctly rounded value of that decimal, the one `JSON.parse` reads.
    /// So the first k that reads back gives the fewest digits that do; with at most 15
    /// significant digits two such decimals are further apart than x's rounding interval is
    /// wide, so it is the one shortest string that round-trips, the digits Node prints.
    @inline(__always)
    mutating func writeShortDecimal(_ number: Double) -> Bool {
        let magnitude = number.magnitude
        guard magnitude >= 1e-6, magnitude < 9_007_199_254_740_992 else { return false }
        var scale = 1.0
        var decimals = 0
        var mantissa = magnitude.rounded()
        while mantissa / scale != magnitude {
            decimals &+= 1
            scale *= 10  // exact: at most 10^21 (1e-6 · 10^21 ≥ 10^15 ends the loop)
            let scaled = magnitude * scale
            guard scaled < 1e15 else { return false }
            mantissa = scaled.rounded()
        }
        writeDecimal(UInt64(mantissa), decimals: decimals, negative: number < 0)
        return true
    }

    /// Writes `mantissa / 10^decimals` in plain notation: `123.45`, `0.0012`, `42`.
    mutating func writeDecimal(_ mantissa: UInt64, decimals: Int, negative: Bool) {
        var digits = 1
        var rest = mantissa / 10
        while rest > 0 {
            digits &+= 1
            rest /= 10
        }
        // Sign, then the integer part ("0" when all digits are decimals), point, decimals.
        let integerDigits = Swift.max(digits &- decimals, 1)
        let sign = negative ? 1 : 0
        let length = sign &+ integerDigits &+ (decimals > 0 ? 1 &+ decimals : 0)
        appendWritten(maximum: length) { out in
            if negative { out[0] = UInt8(ascii: "-") }
            var index = length
            var rest = mantissa
            for _ in 0..<decimals {
                index &-= 1
                out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            if decimals > 0 {
                index &-= 1
                out[index] = UInt8(ascii: ".")
            }
            repeat {
                index &-= 1
                out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while index > sign
            return length
        }
    }

    // MARK: Strings

    /// Writes `text` as a JSON string in `style`.
    @inline(__always)
    mutating func writeString(_ text: String, style: JSONPrinter.Style) {
        guard style == .ascii else {
            var bytes: [UInt8] = []
            JSONPrinter.writeReadableString(text, into: &bytes)
            bytes.withUnsafeBufferPointer { append($0) }
            return
        }
        append(UInt8(ascii: "\""))
        if text.utf8.withContiguousStorageIfAvailable({ writeStringBody($0) }) == nil {
            var text = text  // a bridged string, copied only here
            text.makeContiguousUTF8()
            _ = text.utf8.withContiguousStorageIfAvailable { writeStringBody($0) }
        }
        append(UInt8(ascii: "\""))
    }

    /// Writes the UTF-8 `bytes` of a string (valid: they come from a `String`) escaped as
    /// `JSON.stringify` does and ASCII only. The usual string has nothing to escape: it is
    /// checked and copied in one pass, eight bytes at a time.
    @inline(__always)
    mutating func writeStringBody(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let end = bytes.count
        reserve(end)
        let out = base + count
        var index = 0
        while index &+ 8 <= end {
            // In range: reads `index ..< index + 8`, and `index + 8 <= end`; `reserve` made
            // room for `end` bytes at `out`.
            let word = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
            if Self.needsEscape(word) { break }
            UnsafeMutableRawPointer(out + index).storeBytes(of: word, as: UInt64.self)
            index &+= 8
        }
        while index < end {
            let byte = source[index]
            if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"")
                || byte == UInt8(ascii: "\\")
            {
                break
            }
            out[index] = byte
            index &+= 1
        }
        count &+= index
        if index < end { writeEscapedStringBody(bytes, from: index) }
    }

    /// Whether any of the eight bytes of `word` is a quote, a backslash, a control byte or
    /// not ASCII.
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        (JSONScanner.specialStringBytes(UInt64(littleEndian: word)) | (word & 0x8080_8080_8080_8080))
            != 0
    }

    /// `writeStringBody` from `start` on, where something must be escaped: runs without
    /// anything to escape are copied whole, found eight bytes at a time.
    @inline(never)
    mutating func writeEscapedStringBody(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) {
        guard let source = bytes.baseAddress else { return }
        let end = bytes.count
        var index = start
        var runStart = start
        while true {
            while index &+ 8 <= end {
                // In range: reads `index ..< index + 8`, and `index + 8 <= end`.
                let word = UInt64(
                    littleEndian: UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self))
                // Quote, backslash, control byte, or non-ASCII (high bit set).
                let special = JSONScanner.specialStringBytes(word) | (word & 0x8080_8080_8080_8080)
                if special != 0 {
                    index &+= special.trailingZeroBitCount >> 3
                    break
                }
                index &+= 8
            }
            guard index < end else { break }
            let byte = bytes[index]
            if byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"")
                && byte != UInt8(ascii: "\\")
            {
                index &+= 1
                continue
            }
            append(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            if byte < 0x80 {
                switch byte {
                case UInt8(ascii: "\""): append(UInt8(ascii: "\\"), UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): append(UInt8(ascii: "\\"), UInt8(ascii: "\\"))
                case 0x08: append(UInt8(ascii: "\\"), UInt8(ascii: "b"))
                case 0x0C: append(UInt8(ascii: "\\"), UInt8(ascii: "f"))
                case 0x0A: append(UInt8(ascii: "\\"), UInt8(ascii: "n"))
                case 0x0D: append(UInt8(ascii: "\\"), UInt8(ascii: "r"))
                case 0x09: append(UInt8(ascii: "\\"), UInt8(ascii: "t"))
                default: writeUnicodeEscape(UInt16(byte))
                }
                index &+= 1
            } else {
                // One UTF-8 scalar, as `\uXXXX` (astral ones as a surrogate pair). The bytes
                // are valid UTF-8, so the continuation bytes are there.
                let scalar: UInt32
                let length: Int
                if byte & 0xE0 == 0xC0 {
                    scalar = UInt32(byte & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                    length = 2
                } else if byte & 0xF0 == 0xE0 {
                    scalar =
                        UInt32(byte & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6
                        | UInt32(bytes[index + 2] & 0x3F)
                    length = 3
                } else {
                    scalar =
                        UInt32(byte & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                        | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
                    length = 4
                }
                if scalar >= 0x10000 {
                    let offset = scalar - 0x10000
                    writeUnicodeEscape(UInt16(0xD800 + (offset >> 10)))
                    writeUnicodeEscape(UInt16(0xDC00 + (offset & 0x3FF)))
                } else {
                    writeUnicodeEscape(UInt16(scalar))
                }
                index &+= length
            }
            runStart = index
        }
        append(UnsafeBufferPointer(rebasing: bytes[runStart..<end]))
    }

    /// Writes `\uXXXX` with lowercase hex digits, as `JSON.stringify` does.
    mutating func writeUnicodeEscape(_ unit: UInt16) {
        appendWritten(maximum: 6) { out in
            out[0] = UInt8(ascii: "\\")
            out[1] = UInt8(ascii: "u")
            for index in 0..<4 {
                let digit = UInt8(truncatingIfNeeded: unit >> (12 - 4 * index)) & 0xF
                out[2 + index] =
                    digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            }
            return 6
        }
    }
}
