import TerminalUI

/// The curses key codes the decoder needs (they differ between builds, so they are read
/// from the headers at run time; tests may build their own table).
public struct KeyCodes: Sendable, Hashable {
    /// Code of the `resize` key.
    public var resize: Int32
    /// Code of the `up` key.
    public var up: Int32
    /// Code of the `down` key.
    public var down: Int32
    /// Code of the `left` key.
    public var left: Int32
    /// Code of the `right` key.
    public var right: Int32
    /// Shift-Up (`KEY_SR`) and Shift-Down (`KEY_SF`).
    public var shiftUp: Int32
    /// Code of the `shiftDown` key.
    public var shiftDown: Int32
    /// Code of the `shiftLeft` key.
    public var shiftLeft: Int32
    /// Code of the `shiftRight` key.
    public var shiftRight: Int32
    /// Extended xterm codes for Shift-Up / Shift-Down (`kUP` / `kDN`), 0 when unknown.
    public var extendedShiftUp: Int32
    /// Code of the `extendedShiftDown` key.
    public var extendedShiftDown: Int32
    /// Code of the `home` key.
    public var home: Int32
    /// Code of the `end` key.
    public var end: Int32
    /// Code of the `pageUp` key.
    public var pageUp: Int32
    /// Code of the `pageDown` key.
    public var pageDown: Int32
    /// Code of the `backspace` key.
    public var backspace: Int32
    /// Code of the `delete` key.
    public var delete: Int32
    /// Code of the `enter` key.
    public var enter: Int32
    /// Code of the `backTab` key.
    public var backTab: Int32
    /// `KEY_F(0)`; F*n* is `function0 + n`.
    public var function0: Int32

    /// Creates a table.
    public init(
        resize: Int32, up: Int32, down: Int32, left: Int32, right: Int32, shiftUp: Int32,
        shiftDown: Int32, shiftLeft: Int32, shiftRight: Int32, extendedShiftUp: Int32 = 0,
        extendedShiftDown: Int32 = 0, home: Int32, end: Int32, pageUp: Int32, pageDown: Int32,
        backspace: Int32, delete: Int32, enter: Int32, backTab: Int32, function0: Int32
    ) {
        self.resize = resize
        self.up = up
        self.down = down
        self.left = left
        self.right = right
        self.shiftUp = shiftUp
        self.shiftDown = shiftDown
        self.shiftLeft = shiftLeft
        self.shiftRight = shiftRight
        self.extendedShiftUp = extendedShiftUp
        self.extendedShiftDown = extendedShiftDown
        self.home = home
        self.end = end
        self.pageUp = pageUp
        self.pageDown = pageDown
        self.backspace = backspace
        self.delete = delete
        self.enter = enter
        self.backTab = backTab
        self.function0 = function0
    }
}

/// Turns what `wget_wch` returns into `InputEvent`s. Pure.
public enum KeyDecoder {
    /// Decodes a character (`wget_wch` returned `OK`).
    public static func decode(character code: UInt32) -> InputEvent {
        switch code {
        case 10, 13: return .enter
        case 9: return .tab
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26:
            return .ctrl(Character(Unicode.Scalar(UInt8(code) + 96)))
        case 28: return .ctrl("\\")
        case 29: return .ctrl("]")
        case 30: return .ctrl("^")
        case 31: return .ctrl("_")
        case 0: return .unknown(0)
        case 0x80..<0xA0: return .unknown(Int(code))
        default:
            guard let scalar = Unicode.Scalar(code) else { return .unknown(Int(code)) }
            return .char(Character(scalar))
        }
    }

    /// Decodes a function-key code (`wget_wch` returned `KEY_CODE_YES`).
    public static func decode(key code: Int32, codes: KeyCodes) -> InputEvent {
        switch code {
        case codes.resize: return .resize
        case codes.up: return .up(shift: false)
        case codes.down: return .down(shift: false)
        case codes.left: return .left(shift: false)
        case codes.right: return .right(shift: false)
        case codes.shiftUp: return .up(shift: true)
        case codes.shiftDown: return .down(shift: true)
        case codes.shiftLeft: return .left(shift: true)
        case codes.shiftRight: return .right(shift: true)
        case codes.home: return .home
        case codes.end: return .end
        case codes.pageUp: return .pageUp
        case codes.pageDown: return .pageDown
        case codes.backspace: return .backspace
        case codes.delete: return .delete
        case codes.enter: return .enter
        case codes.backTab: return .backTab
        default:
            if codes.extendedShiftUp != 0 && code == codes.extendedShiftUp {
                return .up(shift: true)
            }
            if codes.extendedShiftDown != 0 && code == codes.extendedShiftDown {
                return .down(shift: true)
            }
            let n = code - codes.function0
            if n >= 1 && n <= 24 { return .function(Int(n)) }
            return .unknown(Int(code))
        }
    }
}
