/// Display widths of text in terminal columns, from a fixed table.
///
/// Combining marks and other zero-width scalars are 0 columns, East Asian wide and
/// fullwidth characters and emoji are 2, everything else is 1. The answer never depends
/// on the locale or the C library, so screens render the same everywhere.
public enum TextWidth {
    /// Columns taken by one Unicode scalar.
    public static func width(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        if v < 0x300 { return 1 }
        if contains(zeroWidthRanges, v) { return 0 }
        if contains(wideRanges, v) { return 2 }
        return 1
    }

    /// Columns taken by one grapheme cluster (0, 1 or 2).
    public static func width(of character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if scalars.count == 1 { return width(of: first) }
        var widest = 0
        var regionalIndicators = 0
        for scalar in scalars {
            if scalar.value == 0xFE0F { return 2 }
            if (0x1F1E6...0x1F1FF).contains(scalar.value) { regionalIndicators += 1 }
            widest = max(widest, width(of: scalar))
        }
        if regionalIndicators >= 2 { return 2 }
        return widest
    }

    /// Columns taken by a string.
    public static func width(of string: some StringProtocol) -> Int {
        var total = 0
        for character in string { total += width(of: character) }
        return total
    }

    /// `string` cut to at most `maxWidth` columns, ending in `ellipsis` when anything was cut.
    ///
    /// When even the ellipsis does not fit, the result is as much of the ellipsis as fits.
    public static func truncate(_ string: String, to maxWidth: Int, ellipsis: String = "…")
        -> String
    {
        guard maxWidth > 0 else { return "" }
        if width(of: string) <= maxWidth { return string }
        let ellipsisWidth = width(of: ellipsis)
        if ellipsisWidth >= maxWidth { return prefix(ellipsis, fitting: maxWidth) }
        return prefix(string, fitting: maxWidth - ellipsisWidth) + ellipsis
    }

    /// `string` cut to at most `maxWidth` columns by replacing its middle with `ellipsis`.
    ///
    /// Useful for paths and endpoints, where both ends carry meaning.
    public static func truncateMiddle(_ string: String, to maxWidth: Int, ellipsis: String = "…")
        -> String
    {
        guard maxWidth > 0 else { return "" }
        if width(of: string) <= maxWidth { return string }
        let ellipsisWidth = width(of: ellipsis)
        if ellipsisWidth >= maxWidth { return prefix(ellipsis, fitting: maxWidth) }
        let available = maxWidth - ellipsisWidth
        let headWidth = (available + 1) / 2
        let tailWidth = available - headWidth
        return prefix(string, fitting: headWidth) + ellipsis + suffix(string, fitting: tailWidth)
    }

    /// The longest prefix of `string` that fits in `maxWidth` columns.
    public static func prefix(_ string: String, fitting maxWidth: Int) -> String {
        var result = ""
        var used = 0
        for character in string {
            let w = width(of: character)
            if used + w > maxWidth { break }
            result.append(character)
            used += w
        }
        return result
    }

    /// The longest suffix of `string` that fits in `maxWidth` columns.
    public static func suffix(_ string: String, fitting maxWidth: Int) -> String {
        var result: [Character] = []
        var used = 0
        for character in string.reversed() {
            let w = width(of: character)
            if used + w > maxWidth { break }
            result.append(character)
            used += w
        }
        return String(result.reversed())
    }

    /// `string` padded with spaces (or truncated with `ellipsis`) to exactly `width` columns.
    public static func fit(
        _ string: String, width targetWidth: Int, alignment: Alignment = .left,
        ellipsis: String = "…"
    ) -> String {
        guard targetWidth > 0 else { return "" }
        let cut = truncate(string, to: targetWidth, ellipsis: ellipsis)
        let gap = targetWidth - width(of: cut)
        guard gap > 0 else { return cut }
        switch alignment {
        case .left: return cut + String(repeating: " ", count: gap)
        case .right: return String(repeating: " ", count: gap) + cut
        case .center:
            let left = gap / 2
            return String(repeating: " ", count: left) + cut
                + String(repeating: " ", count: gap - left)
        }
    }

    private static func contains(_ ranges: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
        var low = 0
        var high = ranges.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let range = ranges[mid]
            if value < range.lowerBound {
                high = mid - 1
            } else if value > range.upperBound {
                low = mid + 1
            } else {
                return true
            }
        }
        return false
    }

    // Sorted, non-overlapping. Combining marks (Mn/Me), joiners and selectors.
    private static let zeroWidthRanges: [ClosedRange<UInt32>] = [
        0x0300...0x036F, 0x0483...0x0489, 0x0591...0x05BD, 0x05BF...0x05BF, 0x05C1...0x05C2,
        0x05C4...0x05C5, 0x05C7...0x05C7, 0x0610...0x061A, 0x061C...0x061C, 0x064B...0x065F,
        0x0670...0x0670, 0x06D6...0x06DC, 0x06DF...0x06E4, 0x06E7...0x06E8, 0x06EA...0x06ED,
        0x0711...0x0711, 0x0730...0x074A, 0x07A6...0x07B0, 0x07EB...0x07F3, 0x0816...0x0819,
        0x081B...0x0823, 0x0825...0x0827, 0x0829...0x082D, 0x0859...0x085B, 0x08D3...0x08E1,
        0x08E3...0x0902, 0x093A...0x093A, 0x093C...0x093C, 0x0941...0x0948, 0x094D...0x094D,
        0x0951...0x0957, 0x0962...0x0963, 0x0981...0x0981, 0x09BC...0x09BC, 0x09C1...0x09C4,
        0x09CD...0x09CD, 0x09E2...0x09E3, 0x0A01...0x0A02, 0x0A3C...0x0A3C, 0x0A41...0x0A51,
        0x0A70...0x0A71, 0x0A75...0x0A75, 0x0A81...0x0A82, 0x0ABC...0x0ABC, 0x0AC1...0x0AC8,
        0x0ACD...0x0ACD, 0x0AE2...0x0AE3, 0x0B01...0x0B01, 0x0B3C...0x0B3C, 0x0B3F...0x0B3F,
        0x0B41...0x0B44, 0x0B4D...0x0B4D, 0x0BC0...0x0BC0, 0x0BCD...0x0BCD, 0x0C3E...0x0C40,
        0x0C46...0x0C56, 0x0CBC...0x0CBC, 0x0CCC...0x0CCD, 0x0D41...0x0D44, 0x0D4D...0x0D4D,
        0x0DCA...0x0DCA, 0x0DD2...0x0DD6, 0x0E31...0x0E31, 0x0E34...0x0E3A, 0x0E47...0x0E4E,
        0x0EB1...0x0EB1, 0x0EB4...0x0EBC, 0x0EC8...0x0ECD, 0x0F18...0x0F19, 0x0F35...0x0F35,
        0x0F37...0x0F37, 0x0F39...0x0F39, 0x0F71...0x0F7E, 0x0F80...0x0F84, 0x0F86...0x0F87,
        0x0F8D...0x0FBC, 0x102D...0x1030, 0x1032...0x1037, 0x1039...0x103A, 0x1160...0x11FF,
        0x135D...0x135F, 0x1712...0x1714, 0x1732...0x1734, 0x1752...0x1753, 0x17B4...0x17B5,
        0x17B7...0x17BD, 0x17C6...0x17C6, 0x17C9...0x17D3, 0x17DD...0x17DD, 0x180B...0x180F,
        0x1A17...0x1A18, 0x1AB0...0x1AFF, 0x1B00...0x1B03, 0x1B34...0x1B34, 0x1DC0...0x1DFF,
        0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x206F, 0x20D0...0x20FF,
        0x2CEF...0x2CF1, 0x2DE0...0x2DFF, 0x302A...0x302D, 0x3099...0x309A, 0xA66F...0xA672,
        0xA674...0xA67D, 0xA69E...0xA69F, 0xA6F0...0xA6F1, 0xA8E0...0xA8F1, 0xFB1E...0xFB1E,
        0xFE00...0xFE0F, 0xFE20...0xFE2F, 0xFEFF...0xFEFF, 0x1F3FB...0x1F3FF, 0xE0000...0xE007F,
        0xE0100...0xE01EF,
    ]

    // Sorted, non-overlapping. East Asian Wide (W) and Fullwidth (F), emoji presentation.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0,
        0x23F3...0x23F3, 0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F,
        0x2693...0x2693, 0x26A1...0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5,
        0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA, 0x26F2...0x26F3, 0x26F5...0x26F5,
        0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B, 0x2728...0x2728,
        0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x3029, 0x302E...0x303E, 0x3041...0x3098, 0x309B...0x33FF, 0x3400...0x4DBF,
        0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF,
        0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4,
        0x17000...0x18AFF, 0x1B000...0x1B2FF, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF,
        0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F202, 0x1F210...0x1F23B,
        0x1F240...0x1F248, 0x1F250...0x1F251, 0x1F260...0x1F265, 0x1F300...0x1F320,
        0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA,
        0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4, 0x1F3F8...0x1F3FA,
        0x1F400...0x1F43E, 0x1F440...0x1F440, 0x1F442...0x1F4FC, 0x1F4FF...0x1F53D,
        0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A...0x1F57A, 0x1F595...0x1F596,
        0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC,
        0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7, 0x1F6DC...0x1F6DF, 0x1F6EB...0x1F6EC,
        0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7EB, 0x1F7F0...0x1F7F0, 0x1F90C...0x1F93A,
        0x1F93C...0x1F945, 0x1F947...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD,
        0x30000...0x3FFFD,
    ]
}

/// Horizontal alignment of text in a column.
public enum Alignment: Sendable, Hashable {
    /// Flush left.
    case left
    /// Centred; an odd gap puts the extra space on the right.
    case center
    /// Flush right.
    case right
}

/// `string` with every control character replaced by a visible escape.
///
/// C0 controls (including ESC and newline), DEL and C1 controls become `\xNN` (lower-case
/// hex, e.g. ESC → `\x1b`). Bidirectional overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) become `\u{NNNN}` so they cannot reorder what is drawn after them. Use it
/// on every string that comes from the network, a file or the user before drawing it.
public func sanitize(_ string: String) -> String {
    guard string.unicodeScalars.contains(where: needsEscape) else { return string }
    var result = String.UnicodeScalarView()
    for scalar in string.unicodeScalars {
        if needsEscape(scalar) {
            let hex = String(scalar.value, radix: 16)
            let text: String
            if scalar.value < 0x100 {
                text = "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                text = "\\u{" + hex + "}"
            }
            result.append(contentsOf: text.unicodeScalars)
        } else {
            result.append(scalar)
        }
    }
    return String(result)
}

private func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    return v < 0x20 || (v >= 0x7F && v < 0xA0) || (0x202A...0x202E).contains(v)
        || (0x2066...0x2069).contains(v)
}
