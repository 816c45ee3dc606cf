/// Where a live recording stands on its own time axis: turns session times into file times
/// that never go back, and says when a keyframe is due. Pure; the dashboard's model and the
/// headless recorder both keep one.
public struct RecordingCursor: Sendable, Equatable {
    /// Session time that is t = 0 in the file.
    public let startedT: Double
    /// Seconds between keyframes.
    public let snapEvery: Double
    /// The latest t written (file axis): no line gets a smaller one.
    public private(set) var lastT: Double = 0
    /// Session time of the latest keyframe.
    public private(set) var lastSnapAt: Double

    /// A cursor for a recording that starts at session time `startedT` (its opening snap).
    public init(startedT: Double, snapEvery: Double) {
        self.startedT = startedT
        self.snapEvery = snapEvery > 0 ? snapEvery : 30
        self.lastSnapAt = startedT
    }

    /// The file's t for an event stamped `t` in session time. Events from different threads
    /// can arrive a little out of stamp order; the file keeps its order by never going back.
    public mutating func fileTime(ofEventAt t: Double) -> Double {
        lastT = max(lastT, t - startedT)
        return lastT
    }

    /// When a keyframe is due at session time `now`, the t to write it at: the latest t
    /// written, since the state holds exactly the events written so far.
    public mutating func snapTime(at now: Double) -> Double? {
        guard now - lastSnapAt >= snapEvery else { return nil }
        lastSnapAt = now
        return lastT
    }

    /// The t of the `end` line at session time `now`.
    public func endTime(at now: Double) -> Double { max(lastT, now - startedT) }
}
