/// Polls `condition` every `interval` until it holds (true) or `timeout` of polling has passed
/// (false): a hang guard, not a speed assertion.
///
/// Only time in which the poller got a thread counts: each round counts at most five
/// intervals. A loaded machine now and then stalls every task of the test process for tens of
/// seconds; a plain deadline would then expire during the stall and leave one last check to
/// race the tasks that deliver what the condition waits for.
public func eventually(
    timeout: Duration = .seconds(10), interval: Duration = .milliseconds(25),
    _ condition: () async -> Bool
) async -> Bool {
    var waited = Duration.zero
    var last = ContinuousClock.now
    while waited < timeout, !Task.isCancelled {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
        let now = ContinuousClock.now
        waited += min(now - last, interval * 5)
        last = now
    }
    return await condition()
}
