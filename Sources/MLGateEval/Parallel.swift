#if canImport(Glibc)
import Glibc
#endif

/// Runs independent pieces of work on the machine's cores (two here): two models' sorts, halves of the
/// bootstrap. Plain POSIX threads, so the kernel needs neither Foundation nor Dispatch. Each piece must
/// write only its own outputs; results never depend on how the pieces were spread over threads.
public enum Parallel {
    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Calls `body(index)` for every index in `0..<count`, one thread per index beyond the first (which
    /// runs on the caller's), and returns when all are done. Falls back to running in order if a thread
    /// cannot be started.
    public static func forEach(_ count: Int, _ body: @escaping (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        var threads: [pthread_t] = []
        for index in 1..<count {
            let job = Unmanaged.passRetained(Job { body(index) })
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { context in
                guard let context else { return nil }
                let job = Unmanaged<Job>.fromOpaque(context).takeRetainedValue()
                job.body()
                return nil
            }, job.toOpaque())
            if started == 0 {
                threads.append(thread)
            } else {
                job.takeRetainedValue().body()
            }
        }
        body(0)
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Evaluates `first` and `second` at the same time and returns both results.
    public static func pair<A, B>(_ first: @escaping () -> A, _ second: @escaping () -> B) -> (A, B) {
        let firstResult = UnsafeMutablePointer<A>.allocate(capacity: 1)
        let secondResult = UnsafeMutablePointer<B>.allocate(capacity: 1)
        forEach(2) { index in
            if index == 0 { firstResult.initialize(to: first()) } else { secondResult.initialize(to: second()) }
        }
        let results = (firstResult.move(), secondResult.move())
        firstResult.deallocate()
        secondResult.deallocate()
        return results
    }
}
