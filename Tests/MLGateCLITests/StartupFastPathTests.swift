import ArgumentParser
@testable import MLGateCLI
import MLGatePipeline
import MLGateTestSupport
import Testing

/// The start-up fast path answers only what the parser would answer the same way.
@Suite("the start-up fast path")
struct StartupFastPathTests {
    /// The fields of a parsed `mlgate run`, to compare.
    private struct RunFields: Equatable {
        var stages: [String]
        var force, dryRun, downstream, noWait, json: Bool
        init(_ command: RunCommand) {
            stages = command.stages
            force = command.force
            dryRun = command.dryRun
            downstream = command.downstream
            noWait = command.noWait
            json = command.json
        }
        init(_ fast: (options: RunOptions, json: Bool)) {
            stages = fast.options.targets
            force = fast.options.force
            dryRun = fast.options.dryRun
            downstream = fast.options.downstream
            noWait = !fast.options.wait
            json = fast.json
        }
    }

    @Test("run's fast parse builds what the parser builds", arguments: [
        [], ["--force"], ["--dry-run", "train"], ["prepare", "train", "--json"], ["--downstream", "prepare"],
        ["--no-wait", "--force", "--dry-run", "--json", "a", "b"], ["s.1", "with space"],
    ])
    func runMatchesParser(_ arguments: [String]) throws {
        let fast = try #require(RunCommand.fastParse(arguments[...]))
        let parsed = try #require(try MLGateCommand.parseAsRoot(["run"] + arguments) as? RunCommand)
        #expect(RunFields((fast.0, fast.json)) == RunFields(parsed))
    }

    @Test("anything else is left to the parser", arguments: [
        ["--forc"], ["-f"], ["--force", "--force"], ["--downstream"], ["--force=true"], ["--"], ["help"], [""], ["--help"], ["-h"],
        ["--json", "--version"],
    ])
    func leftToParser(_ arguments: [String]) {
        #expect(RunCommand.fastParse(arguments[...]) == nil)
        #expect(StartupFastPath.request(["run"] + arguments) == nil)
    }

    @Test("--version and --help are recognised only alone at the root")
    func rootRequests() {
        #expect(StartupFastPath.request(["--version"]).map { "\($0)" } == "version")
        #expect(StartupFastPath.request(["--help"]).map { "\($0)" } == "rootHelp")
        #expect(StartupFastPath.request(["-h"]).map { "\($0)" } == "rootHelp")
        for other in [["--version", "x"], ["-help"], ["help"], ["runs", "--help"], ["--Version"]] {
            #expect(StartupFastPath.request(other) == nil, "\(other)")
        }
    }

    @Test("the root help is the text the parser prints for --help, at any width")
    func helpText() throws {
        for columns in [40, 80, 132] {
            let parserText: String
            do {
                // The parser's path: parse (to the help command) and run it, which throws the request.
                var command = try MLGateCommand.parseAsRoot(["--help"])
                try command.run()
                Issue.record("--help did not end with the help request")
                return
            } catch {
                parserText = MLGateCommand.fullMessage(for: error, columns: columns)
            }
            #expect(MLGateCommand.helpMessage(columns: columns) == parserText)
        }
    }

    @Test("the binary prints the same bytes and exit codes through either path")
    func binary() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let version = try fixture.mlgate(["--version"])
        #expect(version.status == 0 && version.stdout == "0.1.0\n" && version.stderr.isEmpty, "\(version)")
        let help = try fixture.mlgate(["--help"])
        let helpCommand = try fixture.mlgate(["help"])  // the parser's path
        #expect(help.status == 0 && helpCommand.status == 0 && help.stdout == helpCommand.stdout && help.stdout.hasPrefix("OVERVIEW:"), "\(help)")
        let fast = try fixture.mlgate(["run", "--dry-run"])
        let parsed = try fixture.mlgate(["run", "--dry-run", "--"])  // `--` sends it through the parser
        #expect(fast.status == parsed.status && fast.stdout == parsed.stdout && fast.stderr == parsed.stderr, "\(fast) vs \(parsed)")
    }
}

extension StartupFastPath.Request: Equatable {
    static func == (lhs: Self, rhs: Self) -> Bool { "\(lhs)" == "\(rhs)" }
}
