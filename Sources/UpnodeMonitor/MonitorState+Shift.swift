extension MonitorState {
    /// The same state on a time axis moved by `offset` seconds (every `t` plus `offset`).
    ///
    /// A recording started mid-session counts `t` from its own start; its opening snap is
    /// the session state shifted by −(session time at the start), so earlier history gets
    /// negative times, as docs/RECORDING.md, "Time axis" allows.
    public func shifted(by offset: Double) -> MonitorState {
        var copy = self
        copy.connections = connections.map { $0.shifted(by: offset) }
        copy.log = RingBuffer(
            capacity: log.capacity,
            elements: log.map { entry in
                var moved = entry
                moved.t += offset
                return moved
            })
        copy.alerts = alerts.shifted(by: offset)
        return copy
    }
}

extension ConnectionStats {
    func shifted(by offset: Double) -> ConnectionStats {
        var copy = self
        copy.since += offset
        copy.updownSince += offset
        copy.history = RingBuffer(
            capacity: history.capacity,
            elements: history.map { StateChange(t: $0.t + offset, state: $0.state) })
        copy.rtt = RingBuffer(
            capacity: rtt.capacity,
            elements: rtt.map { RTTSample(t: $0.t + offset, rttMs: $0.rttMs) })
        copy.nextRetryT = nextRetryT.map { $0 + offset }
        copy.queue.oldestT = queue.oldestT.map { $0 + offset }
        copy.firstAttemptT = firstAttemptT.map { $0 + offset }
        copy.tap = tap?.shifted(by: offset)
        return copy
    }
}

extension TapConnectionStats {
    func shifted(by offset: Double) -> TapConnectionStats {
        var copy = self
        copy.lastActivityT += offset
        copy.methods = methods.mapValues { stats in
            var moved = stats
            moved.recentStarts = RingBuffer(
                capacity: stats.recentStarts.capacity,
                elements: stats.recentStarts.map { $0 + offset })
            for index in moved.traces.indices { moved.traces[index].t += offset }
            return moved
        }
        copy.recent = RingBuffer(
            capacity: recent.capacity,
            elements: recent.map { record in
                var moved = record
                moved.t += offset
                return moved
            })
        return copy
    }
}
