/// Reading and writing inside an argument tree by a dnode path (keys as strings).
enum DnodePath {
    static func get(_ path: ArraySlice<String>, in value: DnodeValue) -> DnodeValue? {
        guard let key = path.first else { return value }
        switch value {
        case .object(let members):
            guard let member = members[key] else { return nil }
            return get(path.dropFirst(), in: member)
        case .array(let elements):
            guard let index = Int(key), elements.indices.contains(index) else { return nil }
            return get(path.dropFirst(), in: elements[index])
        default:
            return nil
        }
    }

    /// Writes `newValue` at `path`, creating missing intermediate objects as Node does.
    static func set(_ newValue: DnodeValue, at path: ArraySlice<String>, in value: inout DnodeValue)
        throws(DnodeProtocolError)
    {
        try set(newValue, at: path, fullPath: path, in: &value)
    }

    private static func set(
        _ newValue: DnodeValue, at path: ArraySlice<String>, fullPath: ArraySlice<String>,
        in value: inout DnodeValue
    ) throws(DnodeProtocolError) {
        guard let key = path.first else {
            value = newValue
            return
        }
        let rest = path.dropFirst()
        switch value {
        case .object(var members):
            value = .null  // release the enum's reference so `members` is uniquely owned
            var child = members[key] ?? (rest.isEmpty ? .null : .object([:]))
            do {
                try set(newValue, at: rest, fullPath: fullPath, in: &child)
            } catch {
                value = .object(members)
                throw error
            }
            members[key] = child
            value = .object(members)
        case .array(var elements):
            guard let index = Int(key), index >= 0, index <= elements.count else {
                throw .invalidPath(
                    Array(fullPath),
                    problem:
                        "has key '\(DnodeProtocolError.shown(key))' that is not an index of an array of \(elements.count)"
                )
            }
            value = .null
            if index == elements.count { elements.append(rest.isEmpty ? .null : .object([:])) }
            do {
                try set(newValue, at: rest, fullPath: fullPath, in: &elements[index])
            } catch {
                value = .array(elements)
                throw error
            }
            value = .array(elements)
        default:
            throw .invalidPath(
                Array(fullPath), problem: "goes through a \(value.kindName), not an object or array"
            )
        }
    }
}

extension DnodeValue {
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        case .function: "function"
        case .cycle: "cycle"
        }
    }

    /// Levels of arrays and objects inside each other (a scalar is 0), counting stops at `limit`.
    func nestingDepth(limit: Int) -> Int {
        guard limit > 0 else { return 0 }
        switch self {
        case .array(let elements):
            return 1 + elements.reduce(0) { max($0, $1.nestingDepth(limit: limit - 1)) }
        case .object(let members):
            return 1 + members.values.reduce(0) { max($0, $1.nestingDepth(limit: limit - 1)) }
        default: return 0
        }
    }

    /// Number of nodes in this tree, counting stops at `limit`.
    func nodeCount(limit: Int) -> Int {
        var count = 0
        func walk(_ value: DnodeValue) {
            guard count < limit else { return }
            count += 1
            switch value {
            case .array(let elements): elements.forEach(walk)
            case .object(let members): members.values.forEach(walk)
            default: break
            }
        }
        walk(self)
        return count
    }
}
