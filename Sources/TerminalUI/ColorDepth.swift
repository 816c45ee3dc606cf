/// How many colours the terminal can show, and the pure down-conversion rules of
/// docs/THEMES.md, "Colour depth and fallbacks".
public enum ColorDepth: String, Sendable, Hashable, CaseIterable {
    /// 24-bit colour.
    case truecolor
    /// The xterm 256-colour palette.
    case palette256 = "256"
    /// The 16 ANSI colours.
    case ansi16 = "16"
    /// No colour: attributes only.
    case monochrome = "mono"

    /// Parses `truecolor`, `256`, `16`, or `never`/`mono`/`monochrome`.
    public init?(name: String) {
        switch name.lowercased() {
        case "truecolor", "24bit": self = .truecolor
        case "256": self = .palette256
        case "16", "8": self = .ansi16
        case "never", "mono", "monochrome", "none": self = .monochrome
        default: return nil
        }
    }

    /// Chooses a depth from the environment and terminfo (docs/THEMES.md, "Colour depth and fallbacks").
    ///
    /// - Parameters:
    ///   - forced: a depth given with `--color` (`.monochrome` for `--color=never`).
    ///   - noColor: the value of `NO_COLOR`, if set.
    ///   - term: the value of `TERM`.
    ///   - colorTerm: the value of `COLORTERM`.
    ///   - colors: terminfo `COLORS` after `start_color`.
    ///   - hasColors: `has_colors()`.
    ///   - canChangeColor: `can_change_color()`.
    public static func detect(
        forced: ColorDepth?, noColor: String?, term: String?, colorTerm: String?, colors: Int,
        hasColors: Bool, canChangeColor: Bool
    ) -> ColorDepth {
        if forced == .monochrome { return .monochrome }
        if let noColor, !noColor.isEmpty { return .monochrome }
        if term == "dumb" || !hasColors { return .monochrome }
        if let forced { return forced }
        let wantsRGB = colorTerm == "truecolor" || colorTerm == "24bit"
        let canShowRGB = colors >= 1 << 24 || (canChangeColor && colors >= 256)
        if wantsRGB && canShowRGB { return .truecolor }
        if colors >= 256 { return .palette256 }
        if colors >= 8 { return .ansi16 }
        return .monochrome
    }

    /// The xterm default RGB values of ANSI colours 0–15.
    public static let xtermANSIPalette: [(UInt8, UInt8, UInt8)] = [
        (0x00, 0x00, 0x00), (0xcd, 0x00, 0x00), (0x00, 0xcd, 0x00), (0xcd, 0xcd, 0x00),
        (0x00, 0x00, 0xee), (0xcd, 0x00, 0xcd), (0x00, 0xcd, 0xcd), (0xe5, 0xe5, 0xe5),
        (0x7f, 0x7f, 0x7f), (0xff, 0x00, 0x00), (0x00, 0xff, 0x00), (0xff, 0xff, 0x00),
        (0x5c, 0x5c, 0xff), (0xff, 0x00, 0xff), (0x00, 0xff, 0xff), (0xff, 0xff, 0xff),
    ]

    /// Channel levels of the 6×6×6 cube (indices 16–231).
    public static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The RGB value of an xterm palette index.
    public static func rgb(ofIndex index: UInt8) -> (UInt8, UInt8, UInt8) {
        let i = Int(index)
        if i < 16 { return xtermANSIPalette[i] }
        if i < 232 {
            let n = i - 16
            return (
                UInt8(cubeLevels[n / 36]), UInt8(cubeLevels[(n / 6) % 6]), UInt8(cubeLevels[n % 6])
            )
        }
        let grey = UInt8(8 + 10 * (i - 232))
        return (grey, grey, grey)
    }

    /// The nearest 256-palette index: the closer of the nearest cube colour and the nearest
    /// grey-ramp step (232–255) by squared RGB distance; a tie goes to the cube.
    public static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        func nearestLevel(_ value: Int) -> Int {
            var best = 0
            for (i, level) in cubeLevels.enumerated()
            where abs(level - value) < abs(cubeLevels[best] - value) {
                best = i
            }
            return best
        }
        let (ri, gi, bi) = (nearestLevel(Int(r)), nearestLevel(Int(g)), nearestLevel(Int(b)))
        let cubeIndex = 16 + 36 * ri + 6 * gi + bi
        let cubeDistance = distance(
            (r, g, b), (UInt8(cubeLevels[ri]), UInt8(cubeLevels[gi]), UInt8(cubeLevels[bi])))
        var greyStep = 0
        var greyDistance = Int.max
        for step in 0..<24 {
            let v = UInt8(8 + 10 * step)
            let d = distance((r, g, b), (v, v, v))
            if d < greyDistance {
                greyDistance = d
                greyStep = step
            }
        }
        return greyDistance < cubeDistance ? UInt8(232 + greyStep) : UInt8(cubeIndex)
    }

    /// The nearest of the 16 ANSI colours by squared distance to the xterm default palette.
    public static func nearestANSI16(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        var best = 0
        var bestDistance = Int.max
        for (i, entry) in xtermANSIPalette.enumerated() {
            let d = distance((r, g, b), entry)
            if d < bestDistance {
                bestDistance = d
                best = i
            }
        }
        return UInt8(best)
    }

    /// `color` converted to `depth`; `fallback16` (0–15) is used at 16 colours when given.
    ///
    /// `.default` stays `.default` at every depth; at `.monochrome` every colour becomes
    /// `.default`.
    public static func convert(_ color: Color, fallback16: UInt8? = nil, to depth: ColorDepth)
        -> Color
    {
        if color == .default { return .default }
        switch depth {
        case .truecolor:
            return color
        case .palette256:
            if case .rgb(let r, let g, let b) = color { return .indexed(nearest256(r, g, b)) }
            return color
        case .ansi16:
            if let fallback16, fallback16 < 16 { return .ansi(fallback16) }
            switch color {
            case .default: return .default
            case .ansi: return color
            case .indexed(let i):
                if i < 16 { return .ansi(i) }
                let (r, g, b) = rgb(ofIndex: i)
                return .ansi(nearestANSI16(r, g, b))
            case .rgb(let r, let g, let b): return .ansi(nearestANSI16(r, g, b))
            }
        case .monochrome:
            return .default
        }
    }

    /// For terminals with only 8 colours: a bright ANSI colour (8–15) becomes its base
    /// colour plus `bold`; anything else is unchanged.
    public static func toEightColors(_ color: Color) -> (color: Color, extra: Attrs) {
        if case .ansi(let n) = color, n >= 8, n < 16 { return (.ansi(n - 8), .bold) }
        return (color, [])
    }

    private static func distance(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Int {
        let dr = Int(a.0) - Int(b.0)
        let dg = Int(a.1) - Int(b.1)
        let db = Int(a.2) - Int(b.2)
        return dr * dr + dg * dg + db * db
    }
}
