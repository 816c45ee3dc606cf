import UpnodeMonitor

extension Thresholds {
    /// The thresholds a recording was made with (so replay colours match the original session).
    public init(_ settings: RecordingSettings) {
        self.init()
        latencyWarnMs = settings.latencyWarnMs
        latencyBadMs = settings.latencyBadMs
        queueStuckAfterMs = settings.queueStuckAfterMs
    }
}
