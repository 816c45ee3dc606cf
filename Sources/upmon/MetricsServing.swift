import UpmonApp

/// Starts the Prometheus endpoint of `--metrics ADDRESS` (nil: none) over `snapshot`, or
/// exits 2 with what went wrong: a bad address, or a port that is busy or not allowed.
func startMetricsServer(_ address: String?, snapshot: StateSnapshot) async -> MetricsServer? {
    guard let address else { return nil }
    do {
        let (host, port) = try MetricsServer.parseAddress(address)
        return try await MetricsServer.start(
            host: host, port: port, snapshot: snapshot,
            version: "\(SystemFacts.upmonVersion) (commit \(BuildInfo.commit))")
    } catch let error as ConfigError {
        exitWith("cannot serve metrics on \(address): \(error)", code: 2)
    } catch {
        let (host, port) = (try? MetricsServer.parseAddress(address)) ?? (address, 0)
        let message = ListenFailure.message(
            error, address: "\(host):\(port)", port: port,
            otherPort: "give --metrics another port")
        exitWith("metrics: \(message)", code: 2)
    }
}
