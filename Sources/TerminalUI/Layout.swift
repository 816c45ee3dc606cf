/// A size rule for one slot of a `Layout` split.
public enum Constraint: Sendable, Hashable {
    /// Exactly `n` cells (less only when the space runs out).
    case fixed(Int)
    /// At least `n` cells; shares the leftover space with `.fill` slots.
    case min(Int)
    /// `p` percent of the whole length, rounded down.
    case percent(Int)
    /// An equal share of whatever is left.
    case fill
}

/// Splits rectangles into rows or columns by constraints.
///
/// Sizes are computed in order: `.fixed`, `.percent` and `.min` take their base size
/// first, cut from the end when the space is too small. The leftover is shared equally
/// among `.fill` and `.min` slots, with any remainder going to the earliest of them.
/// With no such slots the leftover stays unused after the last slot.
public enum Layout {
    /// Splits `rect` into stacked rows.
    public static func vertical(_ constraints: [Constraint], in rect: Rect) -> [Rect] {
        let sizes = distribute(constraints, total: rect.height)
        var y = rect.y
        return sizes.map { size in
            defer { y += size }
            return Rect(x: rect.x, y: y, width: rect.width, height: size)
        }
    }

    /// Splits `rect` into side-by-side columns.
    public static func horizontal(_ constraints: [Constraint], in rect: Rect) -> [Rect] {
        let sizes = distribute(constraints, total: rect.width)
        var x = rect.x
        return sizes.map { size in
            defer { x += size }
            return Rect(x: x, y: rect.y, width: size, height: rect.height)
        }
    }

    /// The lengths the constraints get out of `total` cells.
    public static func distribute(_ constraints: [Constraint], total: Int) -> [Int] {
        let total = Swift.max(0, total)
        var sizes = constraints.map { constraint -> Int in
            switch constraint {
            case .fixed(let n), .min(let n): return Swift.max(0, n)
            case .percent(let p): return total * Swift.min(Swift.max(0, p), 100) / 100
            case .fill: return 0
            }
        }
        var excess = sizes.reduce(0, +) - total
        var index = sizes.count - 1
        while excess > 0, index >= 0 {
            let cut = Swift.min(excess, sizes[index])
            sizes[index] -= cut
            excess -= cut
            index -= 1
        }
        let leftover = total - sizes.reduce(0, +)
        let growable = constraints.indices.filter {
            if case .fill = constraints[$0] { return true }
            if case .min = constraints[$0] { return true }
            return false
        }
        guard leftover > 0, !growable.isEmpty else { return sizes }
        let share = leftover / growable.count
        var remainder = leftover % growable.count
        for slot in growable {
            sizes[slot] += share
            if remainder > 0 {
                sizes[slot] += 1
                remainder -= 1
            }
        }
        return sizes
    }
}
