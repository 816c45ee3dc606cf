/// A growable stack of values that the parser moves elements into and out of without
/// reference counting; what is left when it goes away is released.
struct PendingStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>?
    private var capacity: Int
    /// How many elements are on the stack.
    private(set) var count = 0
    /// Whether `base` was allocated here (else it is the caller's, which outlives the stack).
    private var owned = false

    /// A stack that starts in `initial` (uninitialized memory) and moves to the heap when
    /// that is full.
    init(initial: UnsafeMutableBufferPointer<Element>) {
        base = initial.baseAddress
        capacity = base == nil ? 0 : initial.count
    }

    deinit {
        if let base {
            base.deinitialize(count: count)
            if owned { base.deallocate() }
        }
    }

    /// The element at `index` (below `count`).
    subscript(index: Int) -> Element {
        precondition(index >= 0 && index < count, "pending stack index out of range")
        return base.unsafelyUnwrapped[index]
    }

    @inline(__always)
    mutating func push(_ element: consuming Element) {
        if count == capacity { grow() }
        // `count < capacity` now, so the slot is allocated and uninitialized.
        (base.unsafelyUnwrapped + count).initialize(to: element)
        count += 1
    }

    @inline(never)
    mutating func grow() {
        let newCapacity = Swift.max(16, capacity * 2)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let base {
            newBase.moveInitialize(from: base, count: count)
            if owned { base.deallocate() }
        }
        base = newBase
        capacity = newCapacity
        owned = true
    }

    /// Moves the elements from index `first` up into a new array and pops them.
    ///
    /// `reserveCapacity` and `append(contentsOf:)` are specialised for the element type; the
    /// array initialisers that take an uninitialised capacity call into the runtime for the
    /// storage type every time, which cost more than the rest of the array's making.
    @inline(__always)
    mutating func popArray(from first: Int) -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(count - first)
        result.append(contentsOf: popMoving(from: first))
        return result
    }

    /// The elements from index `first` up, popped, to be moved out exactly once each by
    /// iterating the returned sequence to its end.
    @inline(__always)
    mutating func popMoving(from first: Int) -> MovingElements<Element> {
        precondition(first >= 0 && first <= count, "pending stack index out of range")
        let moved = MovingElements(start: base.map { $0 + first }, count: count - first)
        count = first
        return moved
    }

    /// Drops the elements from index `first` up.
    @inline(__always)
    mutating func pop(to first: Int) {
        precondition(first >= 0 && first <= count, "pending stack index out of range")
        if let base { (base + first).deinitialize(count: count - first) }
        count = first
    }
}

/// Elements popped off a `PendingStack`, moved (not copied) out as the sequence is iterated;
/// the array `append(contentsOf:)`s it consume all of them.
struct MovingElements<Element>: Sequence, IteratorProtocol {
    var start: UnsafeMutablePointer<Element>?
    var count: Int

    var underestimatedCount: Int { count }

    mutating func next() -> Element? {
        guard count > 0, let start else { return nil }
        // Initialized: one of the `count` elements popped and not yet moved out.
        let element = start.move()
        self.start = start + 1
        count -= 1
        return element
    }
}
