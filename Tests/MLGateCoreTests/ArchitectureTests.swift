import Foundation
import Testing

/// The import rules of docs/architecture.md, checked on the sources: each module imports only what its layer may.
@Suite("the module map: every module imports only what its layer allows")
struct ArchitectureTests {
    /// What each module may import (system modules and the C shims named where they are allowed).
    static let allowed: [String: Set<String>] = {
        let posix: Set<String> = ["Glibc", "Darwin", "Dispatch"]
        let adapters: Set<String> = ["MLGateCore", "MLGateSystem", "MLGateHooks", "MLGateGit", "MLGateStore", "MLGateConfig", "MLGateS3", "Foundation"]
        let services = adapters.union(posix).union(["MLGateWorkspace"])
        let nio: Set<String> = ["NIOCore", "NIOPosix", "NIOHTTP1", "NIOConcurrencyHelpers"]
        return [
            "MLGateCore": [],
            "MLGateEval": posix,
            "MLGateData": posix.union(["MLGateEval"]),
            "MLGateSystem": posix.union(["MLGateCore"]),
            "MLGateHooks": posix.union(["MLGateCore", "MLGateSystem"]),
            "MLGateGit": ["CGit2", "MLGateCore", "Foundation"],
            "MLGateStore": posix.union(["MLGateCore", "MLGateSystem", "GRDB", "Crypto", "Foundation"]),
            "MLGateConfig": posix.union(["MLGateCore", "MLGateSystem", "Yams", "Foundation"]),
            "MLGateNotify": posix.union(["CCurlShim", "MLGateCore", "Foundation"]),
            "MLGateS3": posix.union(["MLGateCore", "MLGateSystem", "MLGateNotify", "MLGateEval", "Crypto", "Foundation"]),
            "MLGateWorkspace": adapters.union(posix),
            "MLGatePipeline": services.union(["CSpawnShim"]),
            "MLGateRegistry": services,
            "MLGateLineage": services,
            "MLGateDeploy": services.union(["MLGatePipeline", "MLGateRegistry", "MLGateData"]),
            "MLGateEvaluation": services.union(["MLGatePipeline", "MLGateRegistry", "MLGateData", "MLGateEval"]),
            "MLGateBatch": services.union(["MLGatePipeline", "MLGateRegistry", "Synchronization"]),
            "MLGateMonitor": services.union(["MLGatePipeline", "MLGateRegistry", "MLGateDeploy", "MLGateEvaluation", "MLGateData", "MLGateEval"]),
            "MLGateCI": services.union(["MLGatePipeline", "MLGateRegistry", "MLGateDeploy", "MLGateEvaluation", "MLGateLineage", "MLGateNotify",
                                        "MLGateData", "MLGateEval"]),
            "MLGateEvents": services.union(["MLGatePipeline", "MLGateRegistry", "MLGateNotify", "Crypto"]),
            "MLGateCLI": services.union(["MLGateEvents", "MLGatePipeline", "MLGateRegistry", "MLGateDeploy", "MLGateEvaluation", "MLGateLineage", "MLGateCI",
                                         "MLGateBatch", "MLGateMonitor", "MLGateNotify", "MLGateData", "MLGateEval", "ArgumentParser"]),
            "mlgate": posix.union(["MLGateCLI"]),
            // The router: the only modules that may link SwiftNIO.
            "MLGateServer": services.union(["MLGatePipeline", "MLGateRegistry", "MLGateDeploy", "MLGateEvents"]).union(nio),
            "mlgate-server": posix.union(["MLGateServer", "MLGateCore", "Foundation"]),
            "mlgate-hook": posix.union(["MLGateCore", "MLGateSystem", "MLGateHooks"]),
            "MLGateTestSupport": posix.union(["MLGateCore", "Foundation"]),
            "MLGateServiceTestSupport": posix.union(["MLGateTestSupport", "MLGateSystem", "MLGateStore", "MLGateWorkspace", "Foundation", "Synchronization"]),
        ]
    }()

    /// The router's modules, the only ones that link SwiftNIO; nothing else imports them.
    static let serverModules: Set<String> = ["MLGateServer", "mlgate-server"]

    /// The package's `Sources/` folder.
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources").path

    /// The modules each Swift file under `folder` imports.
    static func imports(in folder: String) -> [(file: String, module: String)] {
        let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".swift") }
        return files.flatMap { file -> [(file: String, module: String)] in
            let text = (try? String(contentsOfFile: folder + "/" + file, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                let words = line.split(separator: " ").map(String.init)
                guard let index = words.firstIndex(of: "import"), index + 1 < words.count,
                      words[..<index].allSatisfy({ ["public", "package", "internal", "@_implementationOnly", "@preconcurrency"].contains($0) })
                else { return nil }
                return (file, words[index + 1])
            }
        }
    }

    @Test("each module imports only what its layer allows; only the CLI sees ArgumentParser; nothing imports the CLI")
    func importsFollowTheLayers() throws {
        let modules = try FileManager.default.contentsOfDirectory(atPath: Self.sources).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: Self.sources + "/" + name, isDirectory: &isDirectory) && isDirectory.boolValue
                && !["CGit2", "CCurlShim", "CSpawnShim"].contains(name)
        }
        var violations: [String] = []
        for module in modules.sorted() {
            guard let allowed = Self.allowed[module] else {
                violations.append("\(module): a module the rules do not know; add it to ArchitectureTests.allowed and docs/architecture.md")
                continue
            }
            for (file, imported) in Self.imports(in: Self.sources + "/" + module) where !allowed.contains(imported) {
                violations.append("\(module)/\(file) imports \(imported)")
            }
        }
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    @Test("the rules know every module and keep the hook path and mlgate's start-up free of NIO, GRDB and libgit2")
    func rulesAreComplete() {
        #expect(!(Self.allowed["mlgate-hook"] ?? []).contains("MLGateStore") && !(Self.allowed["mlgate-hook"] ?? []).contains("MLGateGit"))
        let everything = Self.allowed.filter { !Self.serverModules.contains($0.key) }.values.reduce(Set<String>()) { $0.union($1) }
        #expect(!everything.contains(where: { $0.hasPrefix("NIO") || $0 == "Hummingbird" }))
        #expect(!everything.contains(where: { Self.serverModules.contains($0) }), "only mlgate-server may import the router")
    }
}
