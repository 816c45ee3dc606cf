import UpnodeMonitor
import UpnodeMonitorEndpoint
import UpnodeTap

extension TapSink {
    /// A sink feeding a `MonitorFeed`: the tap's events join the session's, on its clock.
    /// Durations are timed at full precision (the feed stamps events to the millisecond, as
    /// recordings keep them; a loopback call takes less than that).
    public init(feed: MonitorFeed) {
        let origin = feed.origin
        self.init(
            emit: { feed.emit($0, conn: $1) }, now: { (ContinuousClock.now - origin).inSeconds })
    }
}
