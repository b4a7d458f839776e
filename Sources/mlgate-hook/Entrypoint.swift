import MLGateCore
import MLGateSystem
import MLGateHooks
#if canImport(Glibc)
import Glibc
#endif

/// `mlgate-hook <event> [git's arguments]`: the lineage hooks' fast path, installed beside `mlgate`.
///
/// It links only the Swift runtime and MLGateHooks, so it starts in about a millisecond where `mlgate`
/// (Foundation, GRDB, libgit2) takes ten. When git's files cannot answer, it hands the same hook to
/// `mlgate hook`, which opens the repository with libgit2. It always exits 0: these hooks never stop git.
@main
enum HookEntrypoint {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let event = HookEvent(rawValue: name) else {
            let line = "mlgate-hook: unknown hook event '\(arguments.first ?? "")'; expected \(HookEvent.allCases.map(\.rawValue).joined(separator: ", "))\n"
            _ = Files.writeAll(2, Array(line.utf8))
            exit(2)
        }
        let recorder = HookRecorder(event: event, arguments: Array(arguments.dropFirst()))
        guard recorder.run() == .needsRepository else { exit(0) }
        handOver(event: event, arguments: Array(arguments.dropFirst()), input: recorder.input)
    }

    /// Runs `mlgate hook <event> …` (the binary beside this one, else from PATH) with the same input.
    static func handOver(event: HookEvent, arguments: [String], input: String) -> Never {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let own = length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let sibling = own.hasSuffix("-hook") ? String(own.dropLast(5)) : ""
        if event.readsStandardInput {
            // mlgate gets the input this process already consumed, from an unlinked temporary file.
            var template = Array("/tmp/mlgate-hook.XXXXXX".utf8CString)
            let fd = mkstemp(&template)
            if fd >= 0 {
                unlink(template)
                _ = Files.writeAll(fd, Array(input.utf8))
                lseek(fd, 0, SEEK_SET)
                dup2(fd, 0)
                close(fd)
            }
        }
        let argv = ["mlgate", "hook", event.rawValue] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        if !sibling.isEmpty, access(sibling, X_OK) == 0 { execv(sibling, &cArguments) }
        execvp("mlgate", &cArguments)
        _ = HookRecorder.failure("\(event.rawValue): neither \(sibling) nor mlgate on PATH could be run", layout: nil)
        exit(0)
    }
}
