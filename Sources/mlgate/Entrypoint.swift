import MLGateCLI
#if canImport(Glibc)
import Glibc
#endif

/// The `mlgate` executable: everything lives in MLGateCLI.
@main
enum Entrypoint {
    static func main() {
        // A file-size limit (ulimit -f) must fail a write with EFBIG, reported as an error, instead of killing mlgate.
        signal(SIGXFSZ, SIG_IGN)
        exit(MLGateCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
    }
}
