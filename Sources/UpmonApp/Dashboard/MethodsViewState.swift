import UpnodeMonitor

/// The Methods view (`M` on a tapped row or on the tap's own row): the main table lists
/// methods instead of links, and `Enter` lists one method's recent calls. A plain value in
/// `UIState.methods`; `nil` while the connections table shows.
public struct MethodsViewState: Sendable, Equatable {
    /// The row the view was opened on: a tapped connection (`c1.3`, its methods) or the
    /// tap's link (`c1`, the methods of all its tapped connections together).
    public var scope: ConnectionID
    /// The selected method; selection follows it when rows re-sort.
    public var selected: TapConnectionStats.MethodKey?
    /// Column the methods are sorted by.
    public var sortKey: MethodSortKey = .method
    /// Sort direction; `s` picks the useful one for each column (most calls first, …).
    public var sortAscending = true
    /// First row shown; the view adjusts it to keep the selection in sight.
    public var scroll = 0
    /// The method whose recent calls fill the screen (`Enter`), if any.
    public var openCalls: TapConnectionStats.MethodKey?
    /// Calls scrolled past at the top of that list.
    public var callsScroll = 0

    /// The methods of `scope`, sorted by name, the first one selected.
    public init(scope: ConnectionID) {
        self.scope = scope
    }
}

/// Columns the Methods view sorts by, in the order `s` cycles through them.
public enum MethodSortKey: String, Sendable, CaseIterable {
    case method, calls, rate, p95, errors, last

    /// The direction `s` starts with: names A–Z, otherwise the largest (newest) first.
    var startsAscending: Bool { self == .method }
}
