import Foundation
import MLGateCore
import MLGateServer

/// `mlgate-server [ENDPOINT] [--repo DIR]`: the router behind `mlgate serve` (docs/serving.md).
let usage = """
    usage: mlgate-server [ENDPOINT] [--repo DIR]

    Serves an endpoint of mlgate.yaml (the only one when ENDPOINT is left out) until SIGTERM or Ctrl-C, picking up
    traffic changes and new versions without a restart. 'mlgate serve' runs this; see docs/serving.md.

    """
var arguments = Array(CommandLine.arguments.dropFirst())
var endpoint: String?
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "-h", "--help":
        print(usage, terminator: "")
        exit(0)
    case "--version":
        print(MLGateVersion.current)
        exit(0)
    case "--repo":
        guard let folder = arguments.first, FileManager.default.changeCurrentDirectoryPath(folder) else {
            FileHandle.standardError.write(Data("mlgate-server: --repo needs a folder inside a git repository.\n".utf8))
            exit(2)
        }
        arguments.removeFirst()
    case _ where argument.hasPrefix("-"):
        FileHandle.standardError.write(Data("mlgate-server: unknown option '\(argument)'.\n\(usage)".utf8))
        exit(2)
    default:
        guard endpoint == nil else {
            FileHandle.standardError.write(Data("mlgate-server: serve one endpoint at a time ('\(endpoint ?? "")' and '\(argument)' given).\n".utf8))
            exit(2)
        }
        endpoint = argument
    }
}
do {
    try EndpointServer(endpoint: endpoint).run()
} catch let failure as EndpointServer.Failure {
    FileHandle.standardError.write(Data("mlgate-server: \(failure.description)\n".utf8))
    exit(failure.code)
} catch {
    FileHandle.standardError.write(Data("mlgate-server: \(error)\n".utf8))
    exit(3)
}
