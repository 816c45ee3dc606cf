import DnodeProtocol

// Links joining and leaving a session (docs/RECORDING.md, "Events"):
// the `link_added` / `link_removed` fields, and how a replay learns the ids of links that
// join after the header was written.

extension ConnectionOptions {
    /// `{"ping_ms":…,"timeout_ms":…,"reconnect":…}`, as in the header.
    public var json: JSONValue {
        .makeObject([
            ("ping_ms", .int(Int64(pingMilliseconds))),
            ("timeout_ms", .int(Int64(timeoutMilliseconds))),
            ("reconnect", .string(reconnect)),
        ])
    }

    /// Options read as the header reads them: missing members are 0 or empty.
    init(json options: JSONValue) {
        self.init(
            pingMilliseconds: options.integer("ping_ms") ?? 0,
            timeoutMilliseconds: options.integer("timeout_ms") ?? 0,
            reconnect: options.string("reconnect") ?? "")
    }
}

extension RecordingHeader {
    /// The header's links followed by those that join later (`joined`): every id a line of
    /// the file may name.
    public var allConnections: [ConnectionInfo] { connections + joined }
}

/// Finds the `link_added` lines of a recording body before it is indexed, so that the
/// decoders know every id a line may name (a link that joins has no header entry).
enum JoinedLinks {
    /// The links that join in `bytes[bodyStart...]`, in file order, minus ids the header has
    /// (or that joined earlier). A line that does not decode is left to the scan to report.
    static func scan(_ bytes: [UInt8], bodyStart: Int, header: RecordingHeader)
        -> [ConnectionInfo]
    {
        let needle = Array("\"link_added\"".utf8)
        var known = Set(header.connections.map(\.id))
        var joined: [ConnectionInfo] = []
        guard bodyStart < bytes.count else { return [] }
        var searchFrom = bodyStart
        while let hit = firstIndex(of: needle, in: bytes, from: searchFrom) {
            var start = hit
            while start > bodyStart, bytes[start - 1] != 0x0A { start -= 1 }
            var end = hit
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            searchFrom = end
            guard let json = try? JSONValue(parsing: bytes[start..<end]),
                json.string("kind") == "link_added", let id = json.string("conn"), !id.isEmpty,
                !known.contains(ConnectionID(id))
            else { continue }
            known.insert(ConnectionID(id))
            joined.append(
                ConnectionInfo(
                    id: ConnectionID(id), name: json.string("name") ?? id,
                    endpoint: json.string("endpoint") ?? "",
                    options: ConnectionOptions(json: json["options"] ?? .null)))
        }
        return joined
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from start: Int)
        -> Int?
    {
        guard let first = needle.first, start < bytes.count else { return nil }
        var position = start
        while position + needle.count <= bytes.count {
            guard let found = bytes[position...].firstIndex(of: first) else { return nil }
            if found + needle.count <= bytes.count,
                bytes[found..<(found + needle.count)].elementsEqual(needle)
            {
                return found
            }
            position = found + 1
        }
        return nil
    }
}
