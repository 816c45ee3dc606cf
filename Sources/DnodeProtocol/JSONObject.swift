/// The members of a JSON object: each key once, in the order it was first written.
///
/// All members live in one heap allocation, key and value side by side, and an empty object
/// allocates nothing. Small objects (most of a dnode line's) find a key by comparing keys one by
/// one; an object with more than ``indexThreshold`` members also keeps a hash index of positions.
///
/// Setting the value of a key that is already there keeps the key's position, so building an
/// object from members with a repeated key gives the key's first position and its last value,
/// as Node's `JSON.parse` does. Equality and hashing take the order into account: `{"a":1,"b":2}`
/// and `{"b":2,"a":1}` are different objects (``JSONValue/isEquivalent(to:)`` ignores order).
///
/// `@unchecked Sendable` (the buffer is a `ManagedBuffer`, which is not `Sendable`): the
/// object is a value with copy-on-write storage. It writes to a buffer only after
/// `isKnownUniquelyReferenced` has said that no other value holds it (`makeUnique`), or to one
/// it has just made and not yet shared; a buffer that two values (or threads) can see is only
/// ever read. Keys and values are `Sendable`.
public struct JSONObject: @unchecked Sendable {
    /// A member: a key and its value.
    public typealias Element = (key: String, value: JSONValue)

    /// The members, or `nil` for an empty object.
    var storage: JSONObjectStorage?

    /// Objects with more members than this keep a hash index; smaller ones compare keys
    /// one by one, which is faster for them (BENCHMARKS.md, "Codec, round 2").
    public static var indexThreshold: Int { 12 }

    /// An empty object.
    public init() { storage = nil }

    /// An empty object with room for `minimumCapacity` members.
    public init(minimumCapacity: Int) {
        storage = minimumCapacity > 0 ? JSONObjectStorage.make(capacity: minimumCapacity) : nil
    }

    /// An object of `members` in order; a repeated key keeps its first position and its last
    /// value.
    public init(_ members: some Sequence<(String, JSONValue)>) {
        self.init(minimumCapacity: members.underestimatedCount)
        for (key, value) in members { updateValue(value, forKey: key) }
    }

    /// An object of `members` in order, whose keys must all be different (a repeated key
    /// stops the program).
    public init(uniqueKeysWithValues members: some Sequence<(String, JSONValue)>) {
        self.init(minimumCapacity: members.underestimatedCount)
        for (key, value) in members {
            precondition(index(forKey: key) == nil, "JSONObject: repeated key \"\(key)\"")
            append(key: key, value: value)
        }
    }

    /// An object of `members`, whose keys the caller knows to be all different, moved in.
    init(uniqueMembers members: consuming MovingElements<Element>) {
        let count = members.count
        guard count > 0 else {
            storage = nil
            return
        }
        let storage = JSONObjectStorage.make(capacity: count)
        storage.withUnsafeMutablePointerToElements { target in
            var position = 0
            while let member = members.next() {
                (target + position).initialize(to: member)
                position += 1
            }
        }
        storage.fields.count = count
        if count > JSONObject.indexThreshold { storage.rebuildIndex() }
        self.storage = storage
    }

    /// An object of `members` moved in one by one; a repeated key keeps its first position
    /// and its last value.
    init(resolvingRepeats members: consuming MovingElements<Element>) {
        self.init(minimumCapacity: members.count)
        while let (key, value) = members.next() { updateValue(value, forKey: key) }
    }
}

// MARK: - Lookup and mutation

extension JSONObject {
    /// The position of `key`'s member, or `nil` if the object has no such key.
    public func index(forKey key: String) -> Int? {
        storage?.position(of: key)
    }

    /// The value of `key`; `nil` if there is none. Setting a new key appends it, setting an
    /// existing one replaces its value in place, setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let storage, let position = storage.position(of: key) else { return nil }
            return storage.withUnsafeMutablePointerToElements { $0[position].value }
        }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Sets the value of `key` (in place if it is there, else as a new last member) and returns
    /// the value it replaced, if any.
    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey key: String) -> JSONValue? {
        if let position = index(forKey: key) {
            makeUnique(minimumCapacity: count)
            return storage.unsafelyUnwrapped.withUnsafeMutablePointerToElements { members in
                let old = members[position].value
                members[position].value = value
                return old
            }
        }
        append(key: key, value: value)
        return nil
    }

    /// Removes the member of `key` (later members move up one place) and returns its value,
    /// if there was one.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = index(forKey: key) else { return nil }
        return remove(at: position).value
    }

    /// Removes and returns the member at `position`; later members move up one place.
    @discardableResult
    public mutating func remove(at position: Int) -> Element {
        precondition(position >= 0 && position < count, "JSONObject index out of range")
        makeUnique(minimumCapacity: count)
        let storage = storage.unsafelyUnwrapped
        let count = storage.fields.count
        let removed = storage.withUnsafeMutablePointerToElements { members in
            let removed = (members + position).move()
            (members + position).moveInitialize(
                from: members + position + 1, count: count - position - 1)
            return removed
        }
        storage.fields.count = count - 1
        if storage.fields.buckets != nil { storage.rebuildIndex() }
        return removed
    }

    /// Removes every member.
    public mutating func removeAll() { storage = nil }

    /// Makes room for `minimumCapacity` members in all, so that appending up to that many
    /// allocates no more.
    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        guard minimumCapacity > 0 else { return }
        makeUnique(minimumCapacity: minimumCapacity)
    }

    /// The object with every value transformed, keys and order unchanged.
    public func mapValues(_ transform: (JSONValue) throws -> JSONValue) rethrows -> JSONObject {
        guard let storage else { return self }
        let count = storage.fields.count
        let result = JSONObjectStorage.make(capacity: count)
        try storage.withUnsafeMutablePointerToElements { source in
            try result.withUnsafeMutablePointerToElements { target in
                for position in 0..<count {
                    let member = source[position]
                    (target + position).initialize(to: (member.key, try transform(member.value)))
                    // Counted as it goes: a throwing transform leaves a consistent buffer.
                    result.fields.count = position + 1
                }
            }
        }
        result.fields.buckets = storage.fields.buckets
        return JSONObject(storage: result)
    }

    /// The keys, in order.
    public var keys: LazyMapCollection<JSONObject, String> { lazy.map(\.key) }

    /// The values, in the order of their keys.
    public var values: LazyMapCollection<JSONObject, JSONValue> { lazy.map(\.value) }

    private init(storage: JSONObjectStorage) { self.storage = storage }

    /// Appends a member whose key is not in the object.
    private mutating func append(key: String, value: JSONValue) {
        makeUnique(minimumCapacity: count + 1)
        let storage = storage.unsafelyUnwrapped
        let position = storage.fields.count
        storage.withUnsafeMutablePointerToElements { ($0 + position).initialize(to: (key, value)) }
        storage.fields.count = position + 1
        if storage.fields.buckets != nil {
            storage.indexAppended(position)
        } else if position + 1 > Self.indexThreshold {
            storage.rebuildIndex()
        }
    }

    /// Makes `storage` a buffer of this object's own with room for `minimumCapacity` members.
    @inline(__always)
    private mutating func makeUnique(minimumCapacity: Int) {
        let isUnique = isKnownUniquelyReferenced(&storage)
        if isUnique, storage.unsafelyUnwrapped.fields.capacity >= minimumCapacity { return }
        reallocate(minimumCapacity: minimumCapacity, moving: isUnique)
    }

    /// Replaces `storage` by a new buffer, the members moved (if the old one is ours alone)
    /// or copied into it; growing doubles, so that appending one by one stays linear.
    @inline(never)
    private mutating func reallocate(minimumCapacity: Int, moving: Bool) {
        let oldCapacity = storage?.fields.capacity ?? 0
        let capacity =
            minimumCapacity > oldCapacity
            ? Swift.max(minimumCapacity, 2 * oldCapacity) : oldCapacity
        let new = JSONObjectStorage.make(capacity: Swift.max(capacity, 1))
        if let old = storage {
            let count = old.fields.count
            old.withUnsafeMutablePointerToElements { source in
                new.withUnsafeMutablePointerToElements { target in
                    if moving {
                        target.moveInitialize(from: source, count: count)
                        old.fields.count = 0
                    } else {
                        target.initialize(from: source, count: count)
                    }
                }
            }
            new.fields.count = count
            new.fields.buckets = old.fields.buckets  // positions are unchanged
        }
        storage = new
    }
}

// MARK: - Collection

extension JSONObject: RandomAccessCollection {
    /// Positions of members: `0..<count`.
    public typealias Index = Int
    /// The positions of all members.
    public typealias Indices = Range<Int>

    /// The position of the first member: 0.
    public var startIndex: Int { 0 }
    /// One past the position of the last member: `count`.
    public var endIndex: Int { count }
    /// The number of members.
    public var count: Int { storage?.fields.count ?? 0 }
    /// Whether the object has no members.
    public var isEmpty: Bool { count == 0 }
    /// The positions of all members.
    public var indices: Range<Int> { 0..<count }

    /// The member at `position`.
    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < count, "JSONObject index out of range")
        return storage.unsafelyUnwrapped.withUnsafeMutablePointerToElements { $0[position] }
    }

    /// The position after `position`.
    public func index(after position: Int) -> Int { position + 1 }
    /// The position before `position`.
    public func index(before position: Int) -> Int { position - 1 }

    /// Calls `body` with the members in one contiguous buffer (the object's own storage).
    public func withContiguousStorageIfAvailable<Result>(
        _ body: (UnsafeBufferPointer<Element>) throws -> Result
    ) rethrows -> Result? {
        guard let storage else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try storage.withUnsafeMutablePointerToElements { members in
            try body(UnsafeBufferPointer(start: members, count: storage.fields.count))
        }
    }
}

// MARK: - Equality, literals, description

extension JSONObject: Hashable {
    /// Whether both objects have the same members in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.storage === rhs.storage { return true }
        for position in lhs.indices {
            let (a, b) = (lhs[position], rhs[position])
            guard a.key == b.key, a.value == b.value else { return false }
        }
        return true
    }

    /// Hashes the members in order.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for (key, value) in self {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object of the literal's members; a repeated key keeps its first position and its
    /// last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

extension JSONObject: CustomStringConvertible {
    /// The object as compact JSON.
    public var description: String { JSONValue.object(self).jsonText }
}

// MARK: - Storage

/// What a `JSONObjectStorage` keeps besides its members.
struct JSONObjectHeader {
    /// How many members are initialized, from the start of the buffer.
    var count: Int
    /// How many members the buffer has room for.
    let capacity: Int
    /// The hash index when there are more than `JSONObject.indexThreshold` members: a table
    /// of positions + 1 (0 for an empty slot), its size a power of two at least twice the
    /// count, open addressing with linear probing.
    var buckets: [Int]?
}

/// The members of a `JSONObject` in one allocation, freed member by member with the
/// members' own (specialised) destructor. Only `JSONObject` holds one (see its `Sendable`
/// conformance).
final class JSONObjectStorage: ManagedBuffer<JSONObjectHeader, JSONObject.Element> {
    /// The header, reached through its address. (`header` is a class property: each access
    /// to it is checked for exclusivity at run time, which cost more than the rest of a
    /// small object's making.) The address is that of this object's own header, which lives
    /// as long as the object, and an addressor keeps the object alive while it is used.
    var fields: JSONObjectHeader {
        @inline(__always) unsafeAddress {
            UnsafePointer(withUnsafeMutablePointerToHeader { $0 })
        }
        @inline(__always) unsafeMutableAddress {
            withUnsafeMutablePointerToHeader { $0 }
        }
    }

    /// A new, empty buffer with room for `capacity` members.
    @inline(__always)
    static func make(capacity: Int) -> JSONObjectStorage {
        let buffer = create(minimumCapacity: capacity) { _ in
            JSONObjectHeader(count: 0, capacity: capacity, buckets: nil)
        }
        return unsafeDowncast(buffer, to: JSONObjectStorage.self)
    }

    deinit {
        let count = fields.count
        withUnsafeMutablePointerToElements { members in
            // One by one: `move()` destroys through the member type's own code, where
            // `deinitialize(count:)` would call the runtime's generic array destroy.
            for position in 0..<count { _ = (members + position).move() }
        }
    }

    /// The position of `key`, through the index if there is one.
    @inline(__always)
    func position(of key: String) -> Int? {
        if let buckets = fields.buckets { return hashedPosition(of: key, in: buckets) }
        let count = fields.count
        return withUnsafeMutablePointerToElements { members in
            for position in 0..<count where members[position].key == key { return position }
            return nil
        }
    }

    private func hashedPosition(of key: String, in buckets: [Int]) -> Int? {
        let mask = buckets.count - 1
        var slot = key.hashValue & mask
        return withUnsafeMutablePointerToElements { members in
            while true {
                let entry = buckets[slot]
                if entry == 0 { return nil }
                if members[entry - 1].key == key { return entry - 1 }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Builds the index from scratch for the current members (keys all different), or drops
    /// it when there are too few members to need one.
    func rebuildIndex() {
        let count = fields.count
        guard count > JSONObject.indexThreshold else {
            fields.buckets = nil
            return
        }
        var size = 32
        while size < 2 * count { size *= 2 }
        var buckets = [Int](repeating: 0, count: size)
        withUnsafeMutablePointerToElements { members in
            for position in 0..<count {
                Self.insert(position, key: members[position].key, into: &buckets)
            }
        }
        fields.buckets = buckets
    }

    /// Adds the member just appended at `position` to the index, growing it when half full.
    func indexAppended(_ position: Int) {
        guard var buckets = fields.buckets, 2 * (position + 1) <= buckets.count else {
            rebuildIndex()
            return
        }
        fields.buckets = nil  // the array is ours alone while it is changed
        let key = withUnsafeMutablePointerToElements { $0[position].key }
        Self.insert(position, key: key, into: &buckets)
        fields.buckets = buckets
    }

    private static func insert(_ position: Int, key: String, into buckets: inout [Int]) {
        let mask = buckets.count - 1
        var slot = key.hashValue & mask
        while buckets[slot] != 0 { slot = (slot + 1) & mask }
        buckets[slot] = position + 1
    }
}
