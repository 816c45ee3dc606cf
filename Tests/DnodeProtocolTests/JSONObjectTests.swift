import Testing

@testable import DnodeProtocol

/// `JSONObject` behaves as the ordered dictionary it replaced: insertion order, one value per
/// key (a repeated key keeps its first place and last value), order-sensitive equality, and
/// lookups through the hash index of large objects that stay right under every mutation.
@Suite("JSON object")
struct JSONObjectTests {
    /// The members as plain pairs, in order.
    func pairs(_ object: JSONObject) -> [(String, JSONValue)] { object.map { ($0.key, $0.value) } }

    /// Whether `object` holds exactly `model`'s members in order, finds each of them by key,
    /// finds none of `absent`, and has an index exactly when it is large.
    func matches(_ object: JSONObject, _ model: [(String, JSONValue)], absent: [String] = [])
        -> Bool
    {
        guard object.count == model.count, object.isEmpty == model.isEmpty else { return false }
        for (position, (key, value)) in model.enumerated() {
            guard object[position].key == key, object[position].value == value,
                object[key] == value, object.index(forKey: key) == position
            else { return false }
        }
        let hasIndex = object.storage?.fields.buckets != nil
        return absent.allSatisfy { object[$0] == nil && object.index(forKey: $0) == nil }
            && hasIndex == (model.count > JSONObject.indexThreshold)
    }

    @Test("a literal keeps its order; a repeated key keeps its first place and last value")
    func literals() {
        let object: JSONObject = ["b": 1, "a": 2, "c": 3, "a": 4]
        #expect(matches(object, [("b", 1), ("a", 4), ("c", 3)], absent: ["d", ""]))
        #expect(Array(object.keys) == ["b", "a", "c"])
        #expect(Array(object.values) == [1, 4, 3])
        let value: JSONValue = ["z": [1, "x"], "y": ["k": nil]]
        #expect(value.jsonText == #"{"z":[1,"x"],"y":{"k":null}}"#)
        #expect(value["y"]?["k"] == .null)
        #expect(JSONObject().isEmpty && ([:] as JSONObject).count == 0)
    }

    @Test("equality and hashing depend on order, isEquivalent does not")
    func equality() {
        let ab: JSONObject = ["a": 1, "b": 2]
        let ba: JSONObject = ["b": 2, "a": 1]
        var built = JSONObject()
        built["a"] = 1
        built["b"] = 2
        #expect(ab == built && ab.hashValue == built.hashValue)
        #expect(ab != ba)
        #expect(ab != ["a": 1, "b": 3] && ab != ["a": 1] && ab != ["a": 1, "c": 2])
        #expect(Set([JSONValue.object(ab), .object(built), .object(ba)]).count == 2)
        #expect(JSONValue.object(ab).isEquivalent(to: .object(ba)))
        #expect(JSONObject() == [:] && JSONObject(minimumCapacity: 8) == JSONObject())
    }

    @Test(
        "large objects are found through the index, repeated keys resolved",
        arguments: [11, 12, 13, 40, 300])
    func largeObjects(count: Int) throws {
        let model = (0..<count).map { ("key\($0)", JSONValue.int(Int64($0))) }
        let absent = ["key\(count)", "key", "", "key-1"]
        #expect(matches(JSONObject(model), model, absent: absent))
        #expect(matches(JSONObject(uniqueKeysWithValues: model), model, absent: absent))
        // Parsed, every key written twice: the second time with a new value.
        let text =
            "{"
            + (model + model.map { ($0.0, JSONValue.string("again")) }).map {
                "\"\($0.0)\":\($0.1.jsonText)"
            }.joined(separator: ",") + "}"
        let parsed = try #require(try JSONValue(parsing: text).objectValue)
        #expect(matches(parsed, model.map { ($0.0, "again") }, absent: absent))
        // Parsed without repeats, it prints back byte for byte.
        let unique = JSONValue.object(JSONObject(model)).jsonText
        #expect(try JSONValue(parsing: unique).jsonText == unique)
    }

    @Test(
        "random mutations agree with a list of pairs, across the index threshold",
        arguments: 0..<6)
    func mutations(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var object = JSONObject()
        var model: [(String, JSONValue)] = []
        let keys = (0..<48).map { $0 % 7 == 0 ? "a long key, not a small string \($0)" : "k\($0)" }
        for step in 0..<1_500 {
            let key = keys.randomElement(using: &generator)!
            let value = JSONValue.int(Int64(step))
            let before = object
            let beforeModel = model
            let existing = model.firstIndex { $0.0 == key }
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                let old = object.updateValue(value, forKey: key)
                #expect(old == existing.map { model[$0].1 })
                if let existing { model[existing].1 = value } else { model.append((key, value)) }
            case 5, 6:
                object[key] = nil
                if let existing { model.remove(at: existing) }
            case 7:
                let removed = object.removeValue(forKey: key)
                #expect(removed == existing.map { model[$0].1 })
                if let existing { model.remove(at: existing) }
            case 8 where !model.isEmpty:
                let position = Int.random(in: 0..<model.count, using: &generator)
                let removed = object.remove(at: position)
                #expect(removed.key == model[position].0 && removed.value == model[position].1)
                model.remove(at: position)
            default:
                object[key] = value
                if let existing { model[existing].1 = value } else { model.append((key, value)) }
            }
            // Copy on write: the copy taken before the step is unchanged.
            #expect(matches(before, beforeModel))
            let absent = keys.filter { key in !model.contains { $0.0 == key } }
            #expect(matches(object, model, absent: absent), "seed \(seed), step \(step)")
        }
    }

    @Test("dnode's field names, taken as literals, are the keys any other parse makes")
    func dnodeFieldNames() throws {
        let names = ["method", "arguments", "callbacks", "links", "from", "to"]
        let nearMisses = [
            "methoe", "argumentz", "callbackz", "linkz", "frum", "tu", "metho", "t", "linkss",
            "méthod", "callbacks ",
        ]
        for key in names + nearMisses {
            // Plain, and with an escape (which takes the general path).
            let escaped =
                "\\u00" + String(key.unicodeScalars.first!.value, radix: 16) + key.dropFirst()
            for written in [key, escaped] {
                let object = try #require(try JSONValue(parsing: "{\"\(written)\":1}").objectValue)
                #expect(object.keys.first == key)
                #expect(object.keys.first?.utf8.elementsEqual(key.utf8) == true)
                #expect(object[key] == 1)
            }
        }
    }

    @Test("copies are independent, with and without an index")
    func copyOnWrite() {
        for count in [3, 30] {
            let model = (0..<count).map { ("k\($0)", JSONValue.int(Int64($0))) }
            let original = JSONObject(model)
            var copy = original
            copy["k1"] = "changed"
            copy["new"] = true
            copy.removeValue(forKey: "k0")
            #expect(matches(original, model, absent: ["new"]))
            #expect(copy.count == count && copy["k1"] == "changed" && copy["k0"] == nil)
            #expect(copy.index(forKey: "new") == count - 1)
            var reserved = original
            reserved.reserveCapacity(100)
            #expect(reserved == original && matches(reserved, model))
            var empty = JSONObject()
            empty.reserveCapacity(0)
            #expect(empty.storage == nil && empty == [:])
        }
    }

    @Test("mapValues, removeAll and the collection views")
    func helpers() {
        for count in [2, 20] {
            let model = (0..<count).map { ("k\($0)", JSONValue.int(Int64($0))) }
            let doubled = JSONObject(model).mapValues {
                .int(($0.intValue.map(Int64.init) ?? 0) * 2)
            }
            #expect(
                matches(
                    doubled, model.map { ($0.0, .int(($0.1.intValue.map(Int64.init) ?? 0) * 2)) }))
            var emptied = JSONObject(model)
            emptied.removeAll()
            #expect(emptied.isEmpty && emptied["k0"] == nil && emptied == [:])
            #expect(pairs(JSONObject(model)).map(\.0) == model.map(\.0))
            #expect(JSONObject(model).reversed().first?.key == "k\(count - 1)")
        }
        #expect((["b": 1, "a": [true]] as JSONObject).description == #"{"b":1,"a":[true]}"#)
    }
}
