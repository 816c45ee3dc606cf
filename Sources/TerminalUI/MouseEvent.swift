/// A mouse button press, release or wheel step, decoded from the terminal's SGR (1006)
/// report. Coordinates are 0-based cells and may lie outside the screen (the terminal was
/// resized in between, or the report was forged): users hit-test, never index with them.
public struct MouseEvent: Sendable, Hashable {
    /// Which button, or which way the wheel turned.
    public enum Button: Sendable, Hashable {
        /// Button 1.
        case left
        /// Button 2.
        case middle
        /// Button 3.
        case right
        /// Wheel away from the user (scroll up).
        case wheelUp
        /// Wheel towards the user (scroll down).
        case wheelDown
        /// Horizontal wheel or tilt, left.
        case wheelLeft
        /// Horizontal wheel or tilt, right.
        case wheelRight
        /// Any other button, by its SGR button number (8 and up).
        case other(Int)

        /// True for the four wheel directions (reported as presses without a release).
        public var isWheel: Bool {
            switch self {
            case .wheelUp, .wheelDown, .wheelLeft, .wheelRight: return true
            default: return false
            }
        }
    }

    /// Press, release, or movement with a button held.
    public enum Kind: Sendable, Hashable {
        /// The button went down (every wheel step is a press).
        case press
        /// The button came up.
        case release
        /// The pointer moved (only reported with motion tracking on).
        case motion
    }

    /// Keys held during the event.
    public struct Modifiers: OptionSet, Sendable, Hashable {
        /// The raw bits.
        public var rawValue: Int
        /// Creates a set from raw bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Shift (most terminals keep Shift-clicks for their own text selection).
        public static let shift = Modifiers(rawValue: 1)
        /// Alt / Meta.
        public static let alt = Modifiers(rawValue: 2)
        /// Control.
        public static let control = Modifiers(rawValue: 4)
    }

    /// The button.
    public var button: Button
    /// What happened to it.
    public var kind: Kind
    /// Where, 0-based (column `x`, row `y`).
    public var position: Position
    /// Keys held.
    public var modifiers: Modifiers

    /// Creates an event.
    public init(
        button: Button, kind: Kind, position: Position, modifiers: Modifiers = []
    ) {
        self.button = button
        self.kind = kind
        self.position = position
        self.modifiers = modifiers
    }

    /// Decodes SGR parameters `ESC [ < code ; column ; row` (column and row 1-based) ending in
    /// `M` (press or motion) or `m` (release). Nil when a number is out of range.
    public init?(sgrCode code: Int, column: Int, row: Int, final: Character) {
        guard code >= 0, code < 256, column >= 1, row >= 1, final == "M" || final == "m" else {
            return nil
        }
        var modifiers: Modifiers = []
        if code & 4 != 0 { modifiers.insert(.shift) }
        if code & 8 != 0 { modifiers.insert(.alt) }
        if code & 16 != 0 { modifiers.insert(.control) }
        let low = code & 3
        let button: Button
        switch code & 0b1100_0000 {
        case 64:
            button = [Button.wheelUp, .wheelDown, .wheelLeft, .wheelRight][low]
        case 128:
            button = .other(8 + low)
        case 0:
            // 3 is "no button": motion without a button held, or an X10-style release.
            button = [Button.left, .middle, .right, .other(0)][low]
        default:
            button = .other(12 + low)
        }
        let kind: Kind
        if final == "m" {
            kind = .release
        } else if code & 32 != 0 {
            kind = .motion
        } else {
            kind = .press
        }
        self.init(
            button: button, kind: kind, position: Position(x: column - 1, y: row - 1),
            modifiers: modifiers)
    }
}
