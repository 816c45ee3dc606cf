/// Writes `JSONValue`s as compact JSON that Node reads back unchanged.
///
/// Output is pure ASCII by default: every character at or above U+0080 is written as `\uXXXX`
/// (astral characters as a surrogate pair). Node decodes each TCP read's bytes separately,
/// so raw UTF-8 split across two reads would turn into U+FFFD on its side (docs/PROTOCOL.md, "Framing");
/// ASCII cannot be split that way. Numbers are written in JavaScript's `Number#toString` form.
/// `Style.readable` is for JSON that people read in a terminal, never for the wire.
public enum JSONPrinter {
    /// How strings are written.
    public enum Style: Sendable, Hashable {
        /// Pure ASCII: every character at or above U+0080 as `\uXXXX`. The wire form.
        case ascii
        /// UTF-8 as it is (`"é€😀"`), for people; control characters (U+0000–U+001F, U+007F
        /// and U+0080–U+009F) stay escaped, so no text can steer the terminal.
        case readable
    }

    /// The serialization of `value`, without a trailing newline.
    public static func bytes(_ value: JSONValue, style: Style = .ascii) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        write(value, into: &output, style: style)
        return output
    }

    /// JSON printed in the `.ascii` style, rewritten in the `.readable` style: each `\uXXXX`
    /// escape (or surrogate pair) of a printable character becomes its UTF-8 bytes; all else
    /// is copied as it is. For lines that were printed once for a file and are shown to people.
    public static func readable(_ printed: [UInt8]) -> [UInt8] {
        guard printed.contains(UInt8(ascii: "\\")) else { return printed }
        var output: [UInt8] = []
        output.reserveCapacity(printed.count)
        var index = 0
        while index < printed.count {
            let byte = printed[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < printed.count else {
                output.append(byte)
                index += 1
                continue
            }
            guard printed[index + 1] == UInt8(ascii: "u"),
                let unit = hexUnit(printed, at: index + 2)
            else {
                // Any other escape is two bytes; copying both keeps `\\u` from being read as `\u`.
                output.append(contentsOf: printed[index...(index + 1)])
                index += 2
                continue
            }
            var scalar = Unicode.Scalar(unit)
            var length = 6
            if (0xD800..<0xDC00).contains(unit), index + 11 < printed.count,
                printed[index + 6] == UInt8(ascii: "\\"), printed[index + 7] == UInt8(ascii: "u"),
                let low = hexUnit(printed, at: index + 8), (0xDC00..<0xE000).contains(low)
            {
                scalar = Unicode.Scalar(
                    0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
                length = 12
            }
            if let scalar, !isControl(scalar.value) {
                output.append(contentsOf: String(Character(scalar)).utf8)
            } else {
                output.append(contentsOf: printed[index..<(index + length)])
            }
            index += length
        }
        return output
    }

    /// The four hex digits at `index` as a UTF-16 unit; nil when they are not there.
    static func hexUnit(_ bytes: [UInt8], at index: Int) -> UInt16? {
        guard index + 4 <= bytes.count else { return nil }
        var unit: UInt16 = 0
        for byte in bytes[index..<(index + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    /// C0 controls, DEL and C1 controls: escaped even in the `.readable` style.
    static func isControl(_ scalar: UInt32) -> Bool {
        scalar < 0x20 || (0x7F...0x9F).contains(scalar)
    }

    /// Appends the serialization of `value` to `output`.
    public static func write(_ value: JSONValue, into output: inout [UInt8]) {
        write(value, into: &output, style: .ascii)
    }

    /// Appends the serialization of `value` to `output`, strings written in `style`.
    public static func write(_ value: JSONValue, into output: inout [UInt8], style: Style) {
        JSONWriter.appending(to: &output) { $0.write(value, style: style) }
    }

    /// `JSONWriter.writeDouble` for a finite non-zero number in general: Swift's `description` gives the
    /// shortest round-trip digits, reshaped here as JavaScript writes them.
    @inline(never)
    static func writeDoubleFromDescription(_ number: Double, into output: inout [UInt8]) {
        if number < 0 { output.append(UInt8(ascii: "-")) }
        let (digits, pointPosition) = shortestDigits(of: number.magnitude)
        let k = digits.count
        let n = pointPosition
        if k <= n && n <= 21 {
            output.append(contentsOf: digits)
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
        } else if 0 < n && n <= 21 {
            output.append(contentsOf: digits[0..<n])
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            output.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: ".")])
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
            output.append(contentsOf: digits)
        } else {
            output.append(digits[0])
            if k > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            output.append(UInt8(ascii: "e"))
            output.append(n - 1 >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            output.append(contentsOf: String((n - 1).magnitude).utf8)
        }
    }

    /// Shortest round-trip decimal digits of a positive finite double and the position of the
    /// decimal point (value = 0.d1d2…dk × 10^n). Swift's `description` already produces the
    /// shortest digits; this only reshapes them.
    static func shortestDigits(of number: Double) -> (digits: [UInt8], pointPosition: Int) {
        let text = number.description.utf8
        var digits: [UInt8] = []
        var exponent = 0
        var digitsBeforePoint = 0
        var seenPoint = false
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                var rest: [UInt8] = []
                while let more = iterator.next() { rest.append(more) }
                exponent = Int(String(decoding: rest, as: UTF8.self)) ?? 0
                break
            } else {
                digits.append(byte)
                if !seenPoint { digitsBeforePoint += 1 }
            }
        }
        // Strip leading zeros (e.g. "0.001") and trailing zeros (e.g. "100.0").
        var leading = 0
        while leading < digits.count - 1 && digits[leading] == UInt8(ascii: "0") { leading += 1 }
        digits.removeFirst(leading)
        let pointPosition = digitsBeforePoint - leading + exponent
        while digits.count > 1 && digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, pointPosition)
    }

    /// A string in the `.readable` style: UTF-8 as it is, quotes, backslashes and control
    /// characters escaped.
    static func writeReadableString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output.append(contentsOf: [0x5C, 0x22])
            case "\\": output.append(contentsOf: [0x5C, 0x5C])
            case "\n": output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case "\r": output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case "\t": output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case "\u{8}": output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case "\u{C}": output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case _ where isControl(scalar.value):
                let hex = Array("0123456789abcdef".utf8)
                let unit = Int(scalar.value)
                output.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), hex[unit >> 12], hex[(unit >> 8) & 0xF],
                    hex[(unit >> 4) & 0xF], hex[unit & 0xF],
                ])
            default: output.append(contentsOf: String(Character(scalar)).utf8)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
