/// A key press or terminal event, decoded by a backend.
public enum InputEvent: Sendable, Hashable {
    /// A printable character.
    case char(Character)
    /// Enter or Return.
    case enter
    /// Esc.
    case escape
    /// Tab.
    case tab
    /// Shift-Tab.
    case backTab
    /// Backspace.
    case backspace
    /// The Delete key (delete forward).
    case delete
    /// Arrow up (with Shift when `shift`).
    case up(shift: Bool)
    /// Arrow down.
    case down(shift: Bool)
    /// Arrow left.
    case left(shift: Bool)
    /// Arrow right.
    case right(shift: Bool)
    /// Home.
    case home
    /// End.
    case end
    /// Page Up.
    case pageUp
    /// Page Down.
    case pageDown
    /// F1…F12 (`function(1)` is F1).
    case function(Int)
    /// A control key, as its lower-case letter (`ctrl("c")` for Ctrl-C).
    case ctrl(Character)
    /// The terminal was resized; read `size` again.
    case resize
    /// A key the backend could not decode, with its raw code.
    case unknown(Int)
    /// A mouse button or wheel event (SGR reporting; see `MouseEvent`).
    case mouse(MouseEvent)
}
