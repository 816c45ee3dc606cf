import UpnodeMonitor

extension Replayer {
    /// Carries out a replay effect of `update` (`seek`, `step`, `advanceReplay`) and returns
    /// the answer for it: the state at the new cursor. `nil` for other effects, and for a
    /// step with no event left. The runtime and the tests answer replay effects through this.
    public mutating func perform(_ effect: Effect) -> Msg? {
        switch effect {
        case .seek(let target):
            let position = max(0, min(target, lastT))
            seek(to: position)
            return .replayMoved(state, position: position)
        case .step:
            guard let event = stepForward() else { return nil }
            return .replayMoved(state, position: event.t)
        case .advanceReplay(let position):
            _ = advance(to: position)
            return .replayAdvanced(state)
        default:
            return nil
        }
    }
}
