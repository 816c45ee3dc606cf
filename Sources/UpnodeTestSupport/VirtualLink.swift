import Upnode

/// Drives a `LinkStateMachine` with a virtual clock: timers armed by actions fire in deadline
/// order when the test advances time. No sockets, no sleeping.
public struct VirtualLink {
    public typealias Input = LinkStateMachine.Input
    public typealias Action = LinkStateMachine.Action
    public var machine: LinkStateMachine
    public var now: Duration = .zero
    public var deadlines: [LinkStateMachine.Timer: Duration] = [:]
    public var log: [Action] = []

    public init(_ configure: (inout LinkConfiguration) -> Void = { _ in }) {
        var configuration = LinkConfiguration()
        configure(&configuration)
        machine = LinkStateMachine(configuration: configuration, seed: 7)
    }

    @discardableResult
    public mutating func send(_ input: LinkStateMachine.Input) -> [Action] {
        let actions = machine.handle(input, now: now)
        for action in actions {
            switch action {
            case .arm(let timer, let delay): deadlines[timer] = now + delay
            case .cancel(let timer): deadlines[timer] = nil
            default: break
            }
        }
        log += actions
        return actions
    }

    /// Moves time forward, firing due timers in order; returns the actions they caused.
    @discardableResult
    public mutating func advance(by duration: Duration) -> [Action] {
        let target = now + duration
        var produced: [Action] = []
        while let (timer, deadline) = deadlines.filter({ $0.value <= target }).min(by: {
            $0.value < $1.value
        }) {
            now = deadline
            deadlines[timer] = nil
            produced += send(.timer(timer))
        }
        now = target
        return produced
    }

    /// Start, dial and receive methods: the link is up with the first ping sent.
    public mutating func bringUp(hasPing: Bool = true) {
        send(.start)
        send(.dialed(generation: machine.generation))
        send(
            .remoteReady(
                generation: machine.generation, methods: ["add", "ping"], hasPing: hasPing,
                needsAuth: false))
    }

    public var events: [UpnodeEvent] {
        log.compactMap { if case .emit(let event) = $0 { return event } else { return nil } }
    }
}
