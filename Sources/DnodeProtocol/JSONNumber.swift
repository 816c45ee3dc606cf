/// A number literal that matched the JSON grammar, with what is needed to read its value the
/// way JavaScript (`JSON.parse`) does; the package's only number reader.
public struct JSONNumber: Sendable {
    /// Where the literal is in the scanned bytes.
    public var range: Range<Int>
    /// Whether the literal starts with `-`.
    public var negative: Bool
    /// The integer and fraction digits as one decimal integer; wraps past 19 digits, so it is
    /// used only when `digits` is small enough.
    public var mantissa: UInt64
    /// How many integer and fraction digits (leading zeros included).
    public var digits: Int
    /// How many fraction digits.
    public var decimals: Int
    /// Whether the literal has an `e`/`E` exponent.
    public var hasExponent: Bool

    @inlinable
    init(
        range: Range<Int>, negative: Bool, mantissa: UInt64, digits: Int, decimals: Int,
        hasExponent: Bool
    ) {
        self.range = range
        self.negative = negative
        self.mantissa = mantissa
        self.digits = digits
        self.decimals = decimals
        self.hasExponent = hasExponent
    }

    /// Whether the literal has neither fraction nor exponent.
    @inlinable public var isInteger: Bool { decimals == 0 && !hasExponent }

    /// The value as `JSONValue`: `.int` for an integer literal that fits in 64 bits (`-0`
    /// excepted: JavaScript keeps the sign of zero), else `.double`, possibly infinite.
    @inlinable public func value(in bytes: UnsafeBufferPointer<UInt8>) -> JSONValue {
        if isInteger, let integer = int64 {
            if integer == 0 && negative { return .double(-0.0) }
            return .int(integer)
        }
        return .double(double(in: bytes))
    }

    /// The integer value of an integer literal when it fits in `Int64`.
    @inlinable public var int64: Int64? {
        // 19 digits stay below 2^64, so `mantissa` is exact.
        guard isInteger, digits <= 19 else { return nil }
        if negative {
            guard mantissa <= UInt64(Int64.max) + 1 else { return nil }
            return mantissa == UInt64(Int64.max) + 1 ? .min : -Int64(mantissa)
        }
        guard mantissa <= UInt64(Int64.max) else { return nil }
        return Int64(mantissa)
    }

    /// The value as the nearest `Double`, exactly what `Double(String)` reads for the text
    /// (infinite when out of range).
    ///
    /// Fast path: no exponent, at most 15 significant digits and 22 decimals. The digits then
    /// form an integer `m < 2^53` and `10^k` is exact, so `m / 10^k` is one correctly rounded
    /// operation, the double `strtod` returns for the text (Clinger's fast path). Other shapes
    /// (exponents, long mantissas) go through `Double(String)`.
    @inlinable @inline(__always)
    public func double(in bytes: UnsafeBufferPointer<UInt8>) -> Double {
        if !hasExponent, digits <= 15, decimals <= 22 {
            // `mantissa < 10^15`, so the signed conversion (one instruction) is exact.
            let magnitude = Double(Int64(bitPattern: mantissa)) / Self.powerOfTen(decimals)
            return negative ? -magnitude : magnitude
        }
        return slowDouble(in: bytes)
    }

    @usableFromInline @inline(never)
    func slowDouble(in bytes: UnsafeBufferPointer<UInt8>) -> Double {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return .nan }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        // Every literal of the grammar reads (out of range as an infinity).
        return Double(text) ?? .nan
    }

    /// `10^exponent`, exact for `0...22`.
    @inlinable @inline(__always)
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

    /// The number that is exactly `bytes[range]`, or `nil` if that is not one number literal.
    @inlinable
    public static func exactly(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>)
        -> JSONNumber?
    {
        let scanner = JSONScanner(bytes, range: range)
        guard scanner.position == range.lowerBound, scanner.end == range.upperBound,
            let number = JSONScanner.readNumber(scanner, from: range.lowerBound),
            number.range.upperBound == range.upperBound
        else { return nil }
        return number
    }

    /// The finite value of the number literal that is exactly `bytes[range]`; `nil` if that
    /// is not a number or is out of range (`JSONValue.doubleValue` of a finite number).
    @inlinable @inline(__always)
    public static func finite(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>)
        -> Double?
    {
        guard let value = exactly(bytes, range)?.double(in: bytes), value.isFinite else {
            return nil
        }
        return value
    }
}

extension JSONScanner {
    /// Reads the number at `position` and moves past it; `nil` (position unchanged) if the
    /// bytes there do not match the number grammar
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    @inlinable @inline(__always)
    public mutating func scanNumber() -> JSONNumber? {
        guard let number = Self.readNumber(self, from: position) else { return nil }
        position = number.range.upperBound
        return number
    }

    /// Skips the number at `position`; false if there is none.
    @inlinable @inline(__always)
    public mutating func skipNumber() -> Bool { scanNumber() != nil }

    /// Where the number at `start` ends, or `nil` if there is none: `readNumber` with the
    /// value not accumulated (the constant argument lets the optimiser drop that part).
    @inlinable @inline(__always)
    static func numberEnd(_ scanner: JSONScanner, from start: Int) -> Int? {
        readNumber(scanner, from: start, accumulate: false)?.range.upperBound
    }

    /// The number at `start`. Static, on a copy of the scanner, so that its locals stay in
    /// registers. With `accumulate` false only the grammar is checked (no value).
    @inlinable @inline(__always)
    static func readNumber(_ scanner: JSONScanner, from start: Int, accumulate: Bool = true)
        -> JSONNumber?
    {
        var p = start
        guard let sign = scanner.byteIfInRange(p) else { return nil }
        let negative = sign == UInt8(ascii: "-")
        if negative { p &+= 1 }
        guard let lead = scanner.byteIfInRange(p) else { return nil }
        var mantissa: UInt64 = 0
        var digits = 0
        if lead == UInt8(ascii: "0") {
            p &+= 1
            digits = 1
        } else {
            while let byte = scanner.byteIfInRange(p), byte &- 0x30 < 10 {
                if accumulate { mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30) }
                digits &+= 1
                p &+= 1
            }
            guard digits > 0 else { return nil }
        }
        var decimals = 0
        if scanner.byteIfInRange(p) == UInt8(ascii: ".") {
            p &+= 1
            while let byte = scanner.byteIfInRange(p), byte &- 0x30 < 10 {
                if accumulate { mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30) }
                decimals &+= 1
                p &+= 1
            }
            guard decimals > 0 else { return nil }
            digits &+= decimals
        }
        var hasExponent = false
        if let byte = scanner.byteIfInRange(p), byte | 0x20 == UInt8(ascii: "e") {
            hasExponent = true
            p &+= 1
            if let sign = scanner.byteIfInRange(p), sign == 0x2B || sign == 0x2D {
                p &+= 1  // `+` or `-`
            }
            let exponentStart = p
            while let byte = scanner.byteIfInRange(p), byte &- 0x30 < 10 { p &+= 1 }
            guard p > exponentStart else { return nil }
        }
        return JSONNumber(
            range: start..<p, negative: negative, mantissa: mantissa, digits: digits,
            decimals: decimals, hasExponent: hasExponent)
    }
}
