import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateStore
#if canImport(Glibc)
import Glibc
#endif

/// Finds the software and machine a run happens on: the Python interpreter and its packages (`pip freeze`,
/// or `conda list --export` inside a conda environment), the OS, the CPU and the host.
package enum EnvironmentProbe {
    /// What was found; `packages` is the raw package listing, stored as an object by the caller.
    struct Found {
        var environment: RunEnvironment
        var packages: String?
    }

    /// Probes the machine; `python` says whether to ask the interpreter (it takes a few hundred milliseconds).
    static func probe(python: Bool, directory: String) -> Found {
        var environment = RunEnvironment(os: operatingSystem(), cpu: cpu(), host: hostName(), mlgate: MLGateVersion.current)
        // Where it ran: the CI job's page, and the key of the queue job an executor was given.
        let variables = ProcessInfo.processInfo.environment
        if ContinuousIntegration.isActive { environment.ciRunURL = CIContext.detect(environment: variables).runURL }
        environment.dispatchKey = variables["MLGATE_JOB"].flatMap { $0.hasPrefix("mlgate-") ? $0 : nil }
        var packages: String?
        if python {
            environment.python = capture(["python3", "--version"], in: directory)?.trimmingCharacters(in: .whitespacesAndNewlines)
            if ProcessInfo.processInfo.environment["CONDA_PREFIX"] != nil, let listing = capture(["conda", "list", "--export"], in: directory) {
                packages = listing
                environment.packagesTool = "conda list --export"
            } else if environment.python != nil, let listing = capture(["python3", "-m", "pip", "freeze", "--all"], in: directory) {
                packages = listing
                environment.packagesTool = "pip freeze"
            }
            environment.packageCount = packages.map { $0.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count }
        }
        return Found(environment: environment, packages: packages)
    }

    /// The pins in an environment file that the installed packages do not satisfy, as `name: wants X, found Y`.
    ///
    /// Reads `name==version` lines (requirements files, pip lock files), conda's `name=version[=build]`
    /// entries (environment.yml dependencies, `conda list --export`), and ignores unpinned or
    /// marker-qualified requirements, options and comments.
    static func mismatches(specification: String, installed: String) -> [String] {
        let found = pins(installed)
        var result: [String] = []
        for (name, wanted) in pins(specification).sorted(by: { $0.key < $1.key }) {
            guard let have = found[name] else {
                result.append("\(name): wants \(wanted), not installed")
                continue
            }
            if have != wanted, !have.hasPrefix(wanted + ".") { result.append("\(name): wants \(wanted), found \(have)") }
        }
        return result
    }

    /// `name → version` for every exact pin in a requirements, environment.yml or package-listing text.
    static func pins(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            line = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("- ") { line = String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
            guard !line.isEmpty, !line.hasPrefix("-"), !line.contains(";"), !line.hasSuffix(":") else { continue }
            let parts: [Substring]
            if line.contains("==") {
                parts = line.components(separatedBy: "==").map { Substring($0) }
            } else if line.contains("="), !line.contains(">"), !line.contains("<"), !line.contains("~"), !line.contains("!") {
                parts = line.split(separator: "=", omittingEmptySubsequences: false)
            } else {
                continue
            }
            guard parts.count >= 2 else { continue }
            let name = parts[0].split(separator: "[").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            let version = parts[1].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !version.isEmpty, !version.contains("*") else { continue }
            result[normalized(name)] = version
        }
        return result
    }

    /// A package name as PEP 503 compares them: lowercase, runs of `-`, `_`, `.` as one `-`.
    static func normalized(_ name: String) -> String {
        var result = ""
        var lastWasSeparator = false
        for character in name.lowercased() {
            if "-_.".contains(character) {
                if !lastWasSeparator { result.append("-") }
                lastWasSeparator = true
            } else {
                result.append(character)
                lastWasSeparator = false
            }
        }
        return result
    }

    /// The standard output of `argv` (looked up on PATH), or nil when it fails.
    static func capture(_ argv: [String], in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func operatingSystem() -> String {
        var name = utsname()
        guard uname(&name) == 0 else { return "unknown" }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let pretty = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst(12)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return [pretty, "\(field(name.sysname)) \(field(name.release)) \(field(name.machine))"].compactMap { $0 }.joined(separator: ", ")
    }

    private static func cpu() -> String {
        let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        return "\(model), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) logical cores"
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }
}
