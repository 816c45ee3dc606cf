import UpnodeMonitor

/// The links of a live session as configured: id, settings and origin of each. A value:
/// the dashboard keeps one in its model, the headless modes one beside their session.
///
/// Ids are handed out here, `c1`, `c2`, … in order and never reused, so `update` knows a
/// new link's id before its client exists (docs/ARCHITECTURE.md, "Configuration").
public struct LinkRegistry: Sendable, Equatable {
    /// One configured link.
    public struct Entry: Sendable, Equatable {
        public var id: ConnectionID
        public var spec: ConnectionSpec
    }

    /// The running links, in the order they joined.
    public private(set) var entries: [Entry] = []
    /// The index of the next id (`c\(nextIndex + 1)`).
    public private(set) var nextIndex = 0

    /// The links a session starts with: `c1` … `cN`, as `LiveSession` numbers them.
    public init(specs: [ConnectionSpec] = []) {
        for spec in specs { _ = add(spec) }
    }

    /// The entry of link `id`.
    public subscript(id: ConnectionID) -> Entry? { entries.first { $0.id == id } }

    /// The running link named `name`, if any.
    public func entry(named name: String) -> Entry? { entries.first { $0.spec.name == name } }

    /// Adds a link under the next id.
    public mutating func add(_ spec: ConnectionSpec) -> Entry {
        let entry = Entry(id: ConnectionID(index: nextIndex), spec: spec)
        nextIndex += 1
        entries.append(entry)
        return entry
    }

    /// Removes link `id`; returns its entry.
    @discardableResult
    public mutating func remove(_ id: ConnectionID) -> Entry? {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return nil }
        return entries.remove(at: index)
    }

    /// What a reload of the config file changes, and the registry after it. Only links of the
    /// file take part: links from the command line or `:connect` stay as they are. A file
    /// link whose settings changed leaves and joins again under a new id, with fresh
    /// statistics (its old numbers describe other settings, maybe another server).
    public mutating func reload(_ specs: [ConnectionSpec]) -> ReloadPlan {
        var plan = ReloadPlan()
        let running = entries.filter { $0.spec.origin == .configFile }
        var seen: Set<String> = []
        for spec in specs {
            var spec = spec
            spec.origin = .configFile
            seen.insert(spec.name)
            guard let old = running.first(where: { $0.spec.name == spec.name }) else {
                if spec.tap != nil { plan.tapsNeedingRestart.append(spec.name) }
                plan.added.append(add(spec))
                continue
            }
            let changed = spec.changedSettings(from: old.spec)
            if spec.tapNeedsRestart(from: old.spec, changed: changed) {
                plan.tapsNeedingRestart.append(spec.name)
            }
            if changed.isEmpty {
                plan.unchanged.append(old)
            } else {
                remove(old.id)
                plan.changed.append(.init(old: old, new: add(spec), keys: changed))
            }
        }
        for old in running where !seen.contains(old.spec.name) {
            if old.spec.tap != nil { plan.tapsNeedingRestart.append(old.spec.name) }
            remove(old.id)
            plan.removed.append(old)
        }
        return plan
    }
}

/// The outcome of `LinkRegistry.reload`: which file links are kept, replaced, new or gone.
public struct ReloadPlan: Sendable, Equatable {
    /// A link whose settings changed: `old` leaves, `new` joins; `keys` are the config keys
    /// that differ.
    public struct Change: Sendable, Equatable {
        public var old: LinkRegistry.Entry
        public var new: LinkRegistry.Entry
        public var keys: [String]
    }

    public var unchanged: [LinkRegistry.Entry] = []
    public var changed: [Change] = []
    public var added: [LinkRegistry.Entry] = []
    public var removed: [LinkRegistry.Entry] = []
    /// Links whose tap (`tap =`, or what it connects to) is new, gone or changed: taps are
    /// set up at start, so these need a restart of upmon.
    public var tapsNeedingRestart: [String] = []

    public init() {}

    /// What to do to the session, in order: links leave before their replacements join.
    public var actions: [LinkAction] {
        removed.map { .remove($0.id, reason: LinkRemovalReason.removedFromConfig) }
            + changed.flatMap {
                [
                    LinkAction.remove($0.old.id, reason: LinkRemovalReason.settingsChanged),
                    .add($0.new.id, $0.new.spec),
                ]
            } + added.map { .add($0.id, $0.spec) }
    }

    /// One line for the status line and the log, e.g.
    /// `1 added (db), 1 removed (cache), 1 changed (api: ping), 2 unchanged`.
    public var summary: String {
        func names(_ entries: [LinkRegistry.Entry]) -> String {
            entries.map(\.spec.name).joined(separator: ", ")
        }
        var parts: [String] = []
        if !added.isEmpty { parts.append("\(added.count) added (\(names(added)))") }
        if !removed.isEmpty { parts.append("\(removed.count) removed (\(names(removed)))") }
        if !changed.isEmpty {
            let list = changed.map { "\($0.new.spec.name): \($0.keys.joined(separator: " "))" }
            parts.append("\(changed.count) changed (\(list.joined(separator: "; ")))")
        }
        parts.append("\(unchanged.count) unchanged")
        let text = parts.joined(separator: ", ")
        guard !tapsNeedingRestart.isEmpty else { return text }
        return text + "; taps are set up at start, restart upmon to apply the tap change of "
            + tapsNeedingRestart.joined(separator: ", ")
    }
}

/// One change to the links of a live session.
public enum LinkAction: Sendable, Equatable {
    /// Start a client for `spec` as link `id` (it joins with `link_added`).
    case add(ConnectionID, ConnectionSpec)
    /// Close link `id` (it leaves with `link_removed`).
    case remove(ConnectionID, reason: String)
}

extension LinkRegistry {
    /// Moves the next id past every `cN` id `monitor` has or had, so a new link never takes
    /// an id already in the session (a model made without its registry, as tests do).
    public mutating func skipIDs(in monitor: MonitorState) {
        for id in monitor.connections.map(\.id) + monitor.departed {
            guard id.rawValue.hasPrefix("c"), let number = Int(id.rawValue.dropFirst()) else {
                continue
            }
            nextIndex = max(nextIndex, number)
        }
    }
}
