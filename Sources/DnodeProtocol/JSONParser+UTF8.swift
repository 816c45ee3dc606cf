extension JSONParser {
    /// Whether `bytes` is well-formed UTF-8 (RFC 3629): no stray continuation bytes, overlong
    /// forms, surrogates (U+D800–U+DFFF) or scalars past U+10FFFF. ASCII goes eight bytes at
    /// a time.
    @inlinable
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            while index &+ 8 <= count {
                // In range: reads `index ..< index + 8`, and `index + 8 <= count`.
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                index &+= 8
            }
            guard index < count else { return true }
            let lead = bytes[index]
            if lead < 0x80 {
                index &+= 1
                continue
            }
            // The continuation bytes a lead byte needs, and the range its first one must be in
            // (narrower after E0, ED, F0 and F4: overlong forms, surrogates, past U+10FFFF).
            let needed: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: needed = 1
            case 0xE0:
                needed = 2
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: needed = 2
            case 0xED:
                needed = 2
                high = 0x9F
            case 0xF0:
                needed = 3
                low = 0x90
            case 0xF1...0xF3: needed = 3
            case 0xF4:
                needed = 3
                high = 0x8F
            default: return false
            }
            guard index &+ needed < count else { return false }
            let first = bytes[index &+ 1]
            guard first >= low && first <= high else { return false }
            var offset = 2
            while offset <= needed {
                guard bytes[index &+ offset] & 0xC0 == 0x80 else { return false }
                offset &+= 1
            }
            index &+= needed &+ 1
        }
        return true
    }
}
