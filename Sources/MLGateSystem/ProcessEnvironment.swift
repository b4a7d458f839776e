#if canImport(Glibc)
import Glibc
#endif

/// The process's environment, read one variable at a time with `getenv`.
///
/// Not `ProcessInfo.environment`: building that dictionary bridges every variable and scans the protocol-conformance
/// table, about a millisecond of a command's 10 ms start-up budget (`make bench-hooks`). Code that hands the whole
/// environment to a child process still takes the dictionary.
public enum ProcessEnvironment {
    /// The value of the variable `name`, or nil when it is unset.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
