import TerminalUI

/// Allocates curses colour pairs on demand, one per distinct (foreground, background).
///
/// Pure bookkeeping: the backend calls `init_extended_pair` when `pair(fg:bg:)` reports a
/// new pair. Pair 0 is the terminal default and is never allocated; when the pairs run
/// out, further combinations get pair 0.
public struct ColorPairCache: Sendable {
    private struct Key: Hashable {
        var fg: Int32
        var bg: Int32
    }

    /// The number of pairs the terminal supports (`COLOR_PAIRS`).
    public let capacity: Int32
    private var pairs: [Key: Int32] = [:]
    private var nextPair: Int32 = 1

    /// Creates an empty cache for a terminal with `capacity` pairs.
    public init(capacity: Int32) { self.capacity = capacity }

    /// The number of pairs allocated so far.
    public var count: Int { pairs.count }

    /// The pair for (`fg`, `bg`) (curses colour numbers, -1 = default), and whether it was
    /// just allocated (so the caller must initialise it).
    public mutating func pair(fg: Int32, bg: Int32) -> (pair: Int32, isNew: Bool) {
        if fg == -1 && bg == -1 { return (0, false) }
        let key = Key(fg: fg, bg: bg)
        if let existing = pairs[key] { return (existing, false) }
        guard nextPair < capacity else { return (0, false) }
        let pair = nextPair
        nextPair += 1
        pairs[key] = pair
        return (pair, true)
    }

    /// Forgets every pair (after the palette or colour depth changes).
    public mutating func removeAll() {
        pairs.removeAll()
        nextPair = 1
    }
}

/// Assigns palette slots 16–255 to RGB colours on terminals that can redefine colours
/// but are not direct-colour (docs/THEMES.md, "Colour depth and fallbacks"). Slots 0–15 are never touched.
public struct PaletteSlotCache: Sendable {
    private var slots: [UInt32: Int32] = [:]
    private var nextSlot: Int32 = 16
    /// One past the last usable slot (`min(COLORS, 256)`).
    public let limit: Int32

    /// Creates an empty cache.
    public init(limit: Int32 = 256) { self.limit = min(limit, 256) }

    /// The slot for an RGB colour, and whether it must be initialised; when the slots run
    /// out, the nearest 256-palette index is used instead (never new).
    public mutating func slot(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> (slot: Int32, isNew: Bool) {
        let key = UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
        if let existing = slots[key] { return (existing, false) }
        guard nextSlot < limit else {
            return (Int32(ColorDepth.nearest256(r, g, b)), false)
        }
        let slot = nextSlot
        nextSlot += 1
        slots[key] = slot
        return (slot, true)
    }
}

/// How a `Color` becomes a curses colour number. Pure.
public enum CursesColor {
    /// How the terminal takes RGB colours.
    public enum RGBMode: Sendable, Hashable {
        /// Direct colour (`COLORS ≥ 2^24`): the number is `0xRRGGBB`.
        case direct
        /// Redefinable palette: RGB goes through `PaletteSlotCache`.
        case palette
        /// No RGB: convert to the nearest 256-palette index.
        case none
    }

    /// The curses colour number for `color`, or nil when it needs a palette slot.
    ///
    /// `.default` is -1. With fewer than 16 colours, bright ANSI colours use their base.
    public static func number(for color: Color, colors: Int, rgbMode: RGBMode) -> Int32? {
        switch color {
        case .default:
            return -1
        case .ansi(let n):
            return colors >= 16 ? Int32(n) : Int32(n % 8)
        case .indexed(let n):
            if Int(n) < colors { return Int32(n) }
            let (r, g, b) = ColorDepth.rgb(ofIndex: n)
            return Int32(ColorDepth.nearestANSI16(r, g, b) % (colors >= 16 ? 16 : 8))
        case .rgb(let r, let g, let b):
            switch rgbMode {
            case .direct: return Int32(r) << 16 | Int32(g) << 8 | Int32(b)
            case .palette: return nil
            case .none:
                return number(
                    for: .indexed(ColorDepth.nearest256(r, g, b)), colors: colors, rgbMode: .none)
            }
        }
    }
}
