/// A terminal colour, before or after down-conversion to the terminal's colour depth.
public enum Color: Sendable, Hashable {
    /// The terminal's own foreground or background colour.
    case `default`
    /// One of the 16 ANSI colours (0–7 base, 8–15 bright).
    case ansi(UInt8)
    /// An xterm 256-colour palette index.
    case indexed(UInt8)
    /// A 24-bit colour.
    case rgb(UInt8, UInt8, UInt8)
}

/// Text attributes.
public struct Attrs: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: UInt8
    /// Creates attributes from raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Bold (or bright) text.
    public static let bold = Attrs(rawValue: 1 << 0)
    /// Dim text.
    public static let dim = Attrs(rawValue: 1 << 1)
    /// Underlined text.
    public static let underline = Attrs(rawValue: 1 << 2)
    /// Foreground and background swapped.
    public static let reverse = Attrs(rawValue: 1 << 3)
    /// Italic text.
    public static let italic = Attrs(rawValue: 1 << 4)
    /// Every attribute.
    public static let all: Attrs = [.bold, .dim, .underline, .reverse, .italic]
}

/// Foreground, background and attributes of a cell.
public struct Style: Sendable, Hashable {
    /// Foreground colour.
    public var fg: Color
    /// Background colour.
    public var bg: Color
    /// Attributes.
    public var attrs: Attrs

    /// Creates a style; everything defaults to the terminal's defaults.
    public init(fg: Color = .default, bg: Color = .default, attrs: Attrs = []) {
        self.fg = fg
        self.bg = bg
        self.attrs = attrs
    }

    /// The terminal's default style.
    public static let plain = Style()

    /// This style with extra attributes added.
    public func adding(_ extra: Attrs) -> Style {
        var copy = self
        copy.attrs.formUnion(extra)
        return copy
    }

    /// `other`'s colours where they are not `.default`, and the union of attributes.
    public func patched(with other: Style) -> Style {
        Style(
            fg: other.fg == .default ? fg : other.fg,
            bg: other.bg == .default ? bg : other.bg,
            attrs: attrs.union(other.attrs))
    }
}
