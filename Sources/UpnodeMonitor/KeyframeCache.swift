/// States the replayer has already computed, kept so that seeking back into a stretch it has
/// played (or seeked through) once applies at most `spacing` lines.
///
/// The state after applying the first `n` entries of a `SeekIndex` depends only on `n`, so a
/// state remembered at entry `n` is exact whichever way it was reached. One is remembered each
/// time replay crosses a multiple of `spacing`. Memory is bounded by `budget`, counted with
/// `MonitorState.approximateByteCount`; past it the remembered state farthest from the new
/// one is dropped. A state costs about 16 KB per link with full histories plus the event log
/// (roughly 0.9 MB for 50 links), so the default 32 MiB keeps about 35 such states; states
/// share unchanged storage with each other, so the real cost is usually lower.
struct KeyframeCache: Sendable {
    static let defaultSpacing = 2_000
    static let defaultBudget = 32 << 20

    struct Item: Sendable {
        var entry: Int
        var state: MonitorState
        var cost: Int
    }

    /// Entries between remembered states.
    let spacing: Int
    /// The most `approximateByteCount` the remembered states may add up to.
    let budget: Int
    /// Remembered states in entry order.
    private(set) var items: [Item] = []
    private(set) var totalCost = 0

    init(spacing: Int = defaultSpacing, budget: Int = defaultBudget) {
        self.spacing = Swift.max(1, spacing)
        self.budget = Swift.max(0, budget)
    }

    /// Whether a state would be remembered after applying `entry` entries.
    @inline(__always)
    func wants(_ entry: Int) -> Bool { entry > 0 && entry % spacing == 0 }

    /// The position in `items` of the first item with `entry >= entry`.
    private func insertionPoint(_ entry: Int) -> Int {
        var low = 0
        var high = items.count
        while low < high {
            let middle = (low + high) / 2
            if items[middle].entry < entry { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The remembered state with the largest entry not after `entry`.
    func latest(atOrBefore entry: Int) -> Item? {
        var point = insertionPoint(entry)
        if point < items.count, items[point].entry == entry { return items[point] }
        point -= 1
        return point >= 0 ? items[point] : nil
    }

    /// Remembers `state` as the state after `entry` entries.
    mutating func insert(_ state: MonitorState, at entry: Int) {
        let point = insertionPoint(entry)
        if point < items.count, items[point].entry == entry { return }
        let cost = state.approximateByteCount
        guard cost <= budget else { return }
        items.insert(Item(entry: entry, state: state, cost: cost), at: point)
        totalCost += cost
        while totalCost > budget, items.count > 1 {
            // Drop the state farthest from the one just added (never that one).
            let first = items[0].entry == entry ? 1 : 0
            let last = items[items.count - 1].entry == entry ? items.count - 2 : items.count - 1
            let victim = entry - items[first].entry >= items[last].entry - entry ? first : last
            totalCost -= items[victim].cost
            items.remove(at: victim)
        }
    }
}

extension MonitorState {
    /// A rough upper bound of the heap memory this state holds, for cache budgets.
    var approximateByteCount: Int {
        var total = 512 + log.count * 160
        for stats in connections {
            total += 1024
            total += stats.rtt.count * MemoryLayout<ConnectionStats.RTTSample>.stride
            total += stats.history.count * MemoryLayout<ConnectionStats.StateChange>.stride
            total += stats.methods.count * 48 + stats.pendingCalls.count * 64
            if let tap = stats.tap { total += tap.approximateByteCount }
        }
        return total
    }
}

extension TapConnectionStats {
    /// A rough upper bound of a tapped row's figures: durations, start times, traces (their
    /// values are bounded by `traceValueBudget`, usually a few shapes) and recent calls.
    var approximateByteCount: Int {
        var total = 512 + recent.count * 160
        for stats in methods.values {
            total += 256 + (stats.durations.count + stats.recentStarts.count) * 8
            total += stats.traces.count * 192
        }
        return total
    }
}
