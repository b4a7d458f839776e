import CSpawnShim
import MLGateCore
import MLGateWorkspace
import Dispatch
import Foundation
import MLGateSystem
import MLGateHooks
#if canImport(Glibc)
import Glibc
#endif

/// A command started in its own process group, with standard output and error merged into one pipe that
/// the caller reads line by line. Stopping it signals the whole group, so a shell's children stop too.
package final class ChildProcess {
    /// The process id, which is also the process group id.
    package let pid: Int32
    private let output: Int32

    /// Starts `argv` in `directory` with `environment` (`NAME=value` strings); standard input is /dev/null.
    package init(argv: [String], directory: String, environment: [String]) throws {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw EnvironmentError("could not create a pipe: \(String(cString: strerror(errno)))") }
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(pipeEnds[1]) }
        do {
            pid = try Spawner.spawn(argv: argv, directory: directory, environment: environment, output: .pipe(pipeEnds[1]), detach: .processGroup)
        } catch {
            close(pipeEnds[0])
            throw error
        }
        output = pipeEnds[0]
    }

    /// Calls `line` with each line the command prints (without the newline) until it closes its output.
    package func readLines(_ line: (String) -> Void) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(output, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            pending.append(contentsOf: buffer[0..<count])
            while let newline = pending.firstIndex(of: 10) {
                line(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { line(String(decoding: pending, as: UTF8.self)) }
        close(output)
    }

    /// Waits for the command to end; returns its exit status, or 128 + the signal that killed it.
    package func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return 127 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Sends `signal` to the command's whole process group.
    func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }
}

/// Starts processes with `posix_spawn`: standard input from /dev/null, the signals mlgate catches or
/// ignores back to their defaults, in a new process group or session.
package enum Spawner {
    /// Where standard output and error go.
    package enum Output {
        /// Both to this pipe's write end.
        case pipe(Int32)
        /// Both appended to this file.
        case file(String)
    }

    /// How far the child is detached from mlgate.
    package enum Detachment {
        /// Its own process group (so it and its children can be signalled together).
        case processGroup
        /// Its own session, with no controlling terminal (a background worker).
        case session
    }

    /// Starts `argv` (looked up on PATH) in `directory`; returns its pid.
    package static func spawn(argv: [String], directory: String, environment: [String], output: Output, detach: Detachment) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .pipe(let fd):
            posix_spawn_file_actions_adddup2(&actions, fd, 1)
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing of mlgate's beyond standard input, output and error: no store, lock or socket descriptor.
        _ = mlgate_spawn_close_from(&actions, 3)
        let detachFlag = detach == .processGroup ? Int32(POSIX_SPAWN_SETPGROUP) : 0x80  // POSIX_SPAWN_SETSID
        posix_spawnattr_setflags(&attributes, Int16(detachFlag | Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGXFSZ, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        // posix_spawn has no portable chdir action here, so the parent changes directory around the spawn;
        // mlgate uses absolute paths everywhere, so no other thread depends on the working directory.
        let previous = FileManager.default.currentDirectoryPath
        guard chdir(directory) == 0 else { throw EnvironmentError("could not enter \(directory): \(String(cString: strerror(errno)))") }
        var child: pid_t = 0
        let status = posix_spawnp(&child, argv[0], &actions, &attributes, cArguments, cEnvironment)
        chdir(previous)
        guard status == 0 else { throw EnvironmentError("could not start '\(argv[0])' in \(directory): \(String(cString: strerror(status)))") }
        return child
    }
}

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag and a callback, instead of killing mlgate outright, so a
/// run can stop its child and record itself as cancelled. Signals are caught from `arm()` on (a run arms
/// it when it starts to change things; before that, Ctrl-C simply ends mlgate).
package final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var handler: (@Sendable () -> Void)?
    private var signalled = false
    private var triggered = false
    private var sources: [any DispatchSourceSignal] = []

    /// Creates an interruption that catches nothing until armed.
    package init() {}

    /// Starts catching SIGINT and SIGTERM (once).
    package func arm() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.fire(fromSignal: true) }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a signal arrived or `trigger()` was called.
    package var happened: Bool {
        lock.lock()
        defer { lock.unlock() }
        return signalled || triggered
    }

    /// Whether a signal arrived (the process should stop, not just the current run).
    var wasSignalled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return signalled
    }

    /// Sets what to do when a signal arrives (replacing the previous action); runs it at once if one already did.
    package func onInterrupt(_ action: (@Sendable () -> Void)?) {
        lock.lock()
        handler = action
        let already = signalled || triggered
        lock.unlock()
        if already { action?() }
    }

    /// Stops the current run as if a signal arrived (a worker whose lease was lost does this).
    func trigger() { fire(fromSignal: false) }

    /// Forgets a `trigger()` (not a signal), so the next run can go ahead.
    func clearTrigger() {
        lock.lock()
        triggered = false
        lock.unlock()
    }

    private func fire(fromSignal: Bool) {
        lock.lock()
        if fromSignal { signalled = true } else { triggered = true }
        let action = handler
        lock.unlock()
        action?()
    }
}
