import TerminalUI
import UpnodeMonitor

@testable import UpmonApp

/// Sends keys one after another and collects every effect.
@discardableResult
func press(_ model: inout AppModel, _ keys: InputEvent...) -> [Effect] {
    keys.flatMap { update(&model, .key($0)) }
}

/// Sends each character of `text` as a key.
@discardableResult
func type(_ model: inout AppModel, _ text: String) -> [Effect] {
    text.flatMap { update(&model, .key(.char($0))) }
}

extension AppModel {
    /// The selected link's name as the table shows it.
    var selectedName: String? {
        currentSelection(self).flatMap { monitor[$0]?.info.name }
    }

    /// The open call dialog, if any.
    var callDialog: CallDialogState? {
        if case .callDialog(let dialog) = ui.overlay { return dialog }
        return nil
    }
}

/// A replay model at `position` of a 602 s recording.
func replayModel(position: Double = 300, speed: Double = 2, marks: [ReplayMark] = []) -> AppModel {
    var status = ReplayStatus(fileName: "demo.upmon", position: position, duration: 602)
    status.speed = speed
    status.marks = marks
    return Fixture.model(mode: .replay(status))
}

/// Row `y` of a rendered screen, trailing spaces removed.
func row(_ buffer: Buffer, _ y: Int) -> String {
    var text = buffer.line(y)
    while text.last == " " { text.removeLast() }
    return text
}
