import ArgumentParser
import MLGateCore
import MLGatePipeline
import MLGateSystem

/// Argument lists whose meaning is certain without swift-argument-parser, answered without it.
///
/// The parser's first `parseAsRoot` costs milliseconds in a binary this size: it builds the command tree, parses the
/// arguments twice more looking for `--generate-completion-script`, and reflects over each command's properties,
/// and every first `as?` cast of that work scans the whole protocol-conformance table. Start-up has a 10 ms budget
/// (`make bench-hooks`), so the commonest argument lists skip it: `--version`, `--help`/`-h` at the root, and
/// `run` with nothing but its own long flags and stage names. Each gives the same bytes and exit code the parser
/// would (`StartupFastPathTests` compares them); anything else, including every mistake, goes to the parser.
enum StartupFastPath {
    /// What a fast-path argument list asks for.
    enum Request {
        /// Print the version (`--version`).
        case version
        /// Print the root's help (`--help`, `-h`).
        case rootHelp
        /// Run `mlgate run` with these options (and `--json` or not).
        case run(RunOptions, json: Bool)
    }

    /// The request `arguments` (without the program name) make, when they are one of the certain shapes.
    static func request(_ arguments: [String]) -> Request? {
        if arguments == ["--version"] { return .version }
        if arguments == ["--help"] || arguments == ["-h"] { return .rootHelp }
        if arguments.first == "run", let (options, json) = RunCommand.fastParse(arguments.dropFirst()) { return .run(options, json: json) }
        return nil
    }

    /// Answers `request`; returns the exit code, exactly as the parser's path would.
    static func answer(_ request: Request) -> Int32 {
        switch request {
        case .version:
            write(MLGateVersion.current + "\n")
            return 0
        case .rootHelp:
            // The parser answers `--help` with HelpGenerator over the root, then print(); helpMessage() is the same
            // generator without the parse.
            write(MLGateCommand.helpMessage() + "\n")
            return 0
        case .run(let options, let json):
            do {
                try RunCommand.run(options, json: json)
                return 0
            } catch {
                return MLGateCommand.report(error)
            }
        }
    }

    /// Writes `text` to standard output, the bytes `print` would write.
    private static func write(_ text: String) {
        _ = Files.writeAll(1, Array(text.utf8))
    }
}

extension RunCommand {
    /// The long flags `mlgate run` takes, each setting one property; `fastParse` knows no others.
    private static let fastFlags: Set<String> = ["--force", "--dry-run", "--downstream", "--no-wait", "--json"]

    /// What the parser's `RunCommand` would run for `arguments` (after `run`), when each is one of `run`'s long flags (at
    /// most once) or a stage name (not starting with `-`, not `help`, not empty) and the result passes `validate()`;
    /// nil otherwise, and the parser then handles them (with its messages for every mistake).
    static func fastParse(_ arguments: ArraySlice<String>) -> (RunOptions, json: Bool)? {
        var seen: Set<String> = []
        var stages: [String] = []
        for argument in arguments {
            if argument.hasPrefix("-") {
                guard fastFlags.contains(argument), seen.insert(argument).inserted else { return nil }
            } else {
                guard !argument.isEmpty, argument != "help" else { return nil }
                stages.append(argument)
            }
        }
        if seen.contains("--downstream"), stages.isEmpty { return nil }  // validate() refuses it, in the parser's words
        // The options the parser's RunCommand would give, without building its property wrappers (the first one
        // costs a scan of the whole protocol-conformance table).
        let options = RunOptions(targets: stages, force: seen.contains("--force"), dryRun: seen.contains("--dry-run"),
                                 downstream: seen.contains("--downstream"), wait: !seen.contains("--no-wait"))
        return (options, seen.contains("--json"))
    }
}
