import MLGateCLI
#if canImport(Glibc)
import Glibc
#endif

/// The `mlgate` executable: everything lives in MLGateCLI.
@main
enum Entrypoint {
    static func main() {
        exit(MLGateCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
    }
}
