/// A fixed-capacity FIFO that drops its oldest element when full.
///
/// Used for every history the monitor keeps (state history, RTT outcomes, event log) so that
/// memory stays bounded no matter how long a session runs or how chatty a remote is.
public struct RingBuffer<Element: Sendable>: Sendable {
    /// The most elements the buffer holds.
    public let capacity: Int
    private var storage: [Element] = []
    /// Index in `storage` of the oldest element once the buffer has wrapped.
    private var head = 0

    /// Creates an empty buffer. A capacity below 1 is treated as 1.
    public init(capacity: Int) {
        self.capacity = Swift.max(1, capacity)
    }

    /// Creates a buffer holding the last `capacity` elements of `elements`, oldest first.
    public init(capacity: Int, elements: some Sequence<Element>) {
        self.init(capacity: capacity)
        for element in elements { append(element) }
    }

    /// Number of elements held.
    public var count: Int { storage.count }

    /// Elements the storage has room for (tests hold it near `capacity`).
    var reservedCapacity: Int { storage.capacity }

    public var isEmpty: Bool { storage.isEmpty }

    /// Adds `element` as the newest, dropping the oldest when full.
    public mutating func append(_ element: Element) {
        if storage.count < capacity {
            if storage.count == storage.capacity {
                // Grow by doubling, but never past `capacity`: Array's own doubling would
                // leave a full 600-sample ring with room for 1,024 (10,000 links: ~100 MB).
                storage.reserveCapacity(Swift.min(capacity, Swift.max(4, storage.count * 2)))
            }
            storage.append(element)
        } else {
            storage[head] = element
            head = (head + 1) % capacity
        }
    }

    /// Removes every element.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }

    /// The element `index` places after the oldest (0 = oldest).
    public subscript(index: Int) -> Element {
        precondition(index >= 0 && index < storage.count, "RingBuffer index out of range")
        return storage[(head + index) % storage.count]
    }

    /// The newest element.
    public var last: Element? { storage.isEmpty ? nil : self[storage.count - 1] }

    /// The oldest element.
    public var first: Element? { storage.isEmpty ? nil : self[0] }

    /// All elements, oldest first.
    public var elements: [Element] {
        guard head > 0 else { return storage }
        var result: [Element] = []
        result.reserveCapacity(storage.count)
        result.append(contentsOf: storage[head...])
        result.append(contentsOf: storage[..<head])
        return result
    }

    /// The newest `n` elements, oldest first.
    public func suffix(_ n: Int) -> [Element] {
        let take = Swift.min(Swift.max(0, n), storage.count)
        return (storage.count - take..<storage.count).map { self[$0] }
    }
}

extension RingBuffer: Equatable where Element: Equatable {
    /// Two buffers are equal when they hold the same elements in the same order, with the
    /// same capacity; where the ring wrapped internally does not matter.
    public static func == (lhs: RingBuffer, rhs: RingBuffer) -> Bool {
        lhs.capacity == rhs.capacity && lhs.count == rhs.count
            && (0..<lhs.count).allSatisfy { lhs[$0] == rhs[$0] }
    }
}

extension RingBuffer: Sequence {
    /// Walks the ring oldest first in place: no array is built (`map`, `for in` on every
    /// reducer step stay allocation-free apart from their own result).
    public struct Iterator: IteratorProtocol, Sendable {
        let storage: [Element]
        var index: Int
        var remaining: Int

        public mutating func next() -> Element? {
            guard remaining > 0 else { return nil }
            let element = storage[index]
            index += 1
            if index == storage.count { index = 0 }
            remaining -= 1
            return element
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(storage: storage, index: head, remaining: storage.count)
    }

    public var underestimatedCount: Int { storage.count }
}
