import Foundation
import MLGateCore
package import MLGateGit

/// Moving refs between a repository and a remote: fetching refspecs and pushing them without force.
package protocol RefTransport {
    /// Fetches `refspecs` from `remote`.
    func fetch(remote: String, refspecs: [String]) throws
    /// Pushes `refspecs` (never forced); returns the refs the remote refused, with its reason.
    func push(remote: String, refspecs: [String]) throws -> [String: String]
}

/// libgit2's transport: paths, file:// and remotes that need no credentials (local use, tests).
package struct LibGit2Transport: RefTransport {
    let repository: GitRepository

    /// A transport over `repository`'s configured remotes.
    package init(repository: GitRepository) { self.repository = repository }

    package func fetch(remote: String, refspecs: [String]) throws { try repository.fetch(remote: remote, refspecs: refspecs) }
    package func push(remote: String, refspecs: [String]) throws -> [String: String] { try repository.push(remote: remote, refspecs: refspecs) }
}

/// The `git` program as transport, for CI jobs: it uses the credentials the job's checkout configured
/// (`http.extraheader`, SSH agents, credential helpers) and handles shallow clones, which libgit2 1.5 cannot.
/// In a shallow clone, a ref whose commit is not here yet is fetched with `--depth=1` (it arrives with its commit
/// and no history); one whose commit is already here is fetched plainly, so the clone's own history is never
/// cut short by a new shallow boundary.
package struct GitCommandLine: RefTransport {
    /// The worktree git runs in.
    package let directory: String
    /// The environment git gets (the job's, with its credentials; not the narrowed one commands get).
    package var environment: [String: String] = ProcessInfo.processInfo.environment

    /// git run in `directory` with `environment` (the process's own by default).
    package init(directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = directory
        self.environment = environment
    }

    /// Whether the commit `id` is in the repository.
    package func hasCommit(_ id: String) -> Bool { (try? run(["cat-file", "-e", id + "^{commit}"]).status) == 0 }

    /// Whether the clone is shallow.
    package var isShallow: Bool { (try? run(["rev-parse", "--is-shallow-repository"]).output) == "true" }

    package func fetch(remote: String, refspecs: [String]) throws {
        guard isShallow else { return try fetch(remote: remote, refspecs: refspecs, depth: nil) }
        // In a shallow clone a pattern that matches nothing fails the fetch: expand patterns first.
        let wanted = try expand(refspecs, remote: remote)
        guard !wanted.isEmpty else { return }
        let commits = try remoteCommits(of: wanted.compactMap { Self.source(of: $0) }.filter { $0.hasPrefix("refs/") }, remote: remote)
        var here: [String] = [], missing: [String] = []
        for refspec in wanted {
            let source = Self.source(of: refspec) ?? ""
            let commit = source.hasPrefix("refs/") ? commits[source] : source
            let present = commit.map(hasCommit) ?? false
            if present { here.append(refspec) } else { missing.append(refspec) }
        }
        if !here.isEmpty { try fetch(remote: remote, refspecs: here, depth: nil) }
        if !missing.isEmpty { try fetch(remote: remote, refspecs: missing, depth: 1) }
    }

    private func fetch(remote: String, refspecs: [String], depth: Int?) throws {
        let result = try run(["fetch", "--no-tags", "--quiet"] + (depth.map { ["--depth=\($0)"] } ?? []) + [remote] + refspecs)
        guard result.status == 0 else {
            throw EnvironmentError("git fetch from '\(remote)' failed (exit \(result.status)): \(result.output.split(separator: "\n").last ?? "")")
        }
    }

    /// The commit each remote ref points at (through an annotated tag to its commit).
    private func remoteCommits(of references: [String], remote: String) throws -> [String: String] {
        guard !references.isEmpty else { return [:] }
        let listed = try run(["ls-remote", remote] + references)
        var commits: [String: String] = [:]
        for line in listed.output.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            guard fields.count == 2 else { continue }
            let name = String(fields[1])
            if name.hasSuffix("^{}") { commits[String(name.dropLast(3))] = String(fields[0]) }
            else if commits[name] == nil { commits[name] = String(fields[0]) }
        }
        return commits
    }

    /// The source side of a refspec (`+refs/tags/a:refs/tags/a` → `refs/tags/a`).
    static func source(of refspec: String) -> String? {
        let body = refspec.hasPrefix("+") ? refspec.dropFirst() : Substring(refspec)
        return body.split(separator: ":", maxSplits: 1).first.map(String.init)
    }

    package func push(remote: String, refspecs: [String]) throws -> [String: String] {
        let result = try run(["push", "--porcelain", remote] + refspecs)
        // Porcelain lines: "<flag>\t<from>:<to>\t<summary>", flag '!' for a refused ref. A race ("[rejected]":
        // fetch first, non-fast-forward, already exists) is returned for the caller to merge and retry; a refusal
        // by the remote itself (protected tags, hooks) is final.
        var refused: [String: String] = [:]
        for line in result.output.split(separator: "\n") where line.hasPrefix("!") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3, let target = fields[1].split(separator: ":").last else { continue }
            if fields[2].hasPrefix("[remote rejected]") {
                throw EnvironmentError("the remote '\(remote)' refused \(target): \(fields[2]); allow the job to push tags and refs/notes/mlgate (docs/ci.md#pushing-the-registry).")
            }
            refused[String(target)] = String(fields[2])
        }
        guard result.status == 0 || !refused.isEmpty else {
            throw EnvironmentError("git push to '\(remote)' failed (exit \(result.status)): \(result.output.split(separator: "\n").last ?? "")")
        }
        return refused
    }

    /// `refspecs` with each pattern (`+refs/tags/*:refs/x/*`) replaced by one refspec per matching remote ref.
    func expand(_ refspecs: [String], remote: String) throws -> [String] {
        var expanded: [String] = []
        for refspec in refspecs {
            let force = refspec.hasPrefix("+")
            let body = force ? String(refspec.dropFirst()) : refspec
            let sides = body.split(separator: ":", maxSplits: 1).map(String.init)
            guard sides[0].contains("*"), let star = sides[0].firstIndex(of: "*") else {
                expanded.append(refspec)
                continue
            }
            let listed = try run(["ls-remote", remote, sides[0]])
            guard listed.status == 0 else {
                throw EnvironmentError("git ls-remote '\(remote)' failed (exit \(listed.status)): \(listed.output.split(separator: "\n").last ?? "")")
            }
            let prefix = sides[0][..<star], suffix = sides[0][sides[0].index(after: star)...]
            for line in listed.output.split(separator: "\n") {
                guard let name = line.split(separator: "\t").last.map(String.init), !name.hasSuffix("^{}"),
                      name.hasPrefix(prefix), name.hasSuffix(suffix), name.count >= prefix.count + suffix.count else { continue }
                let matched = name.dropFirst(prefix.count).dropLast(suffix.count)
                let destination = sides.count == 2 ? sides[1].replacingOccurrences(of: "*", with: matched) : name
                expanded.append((force ? "+" : "") + name + ":" + destination)
            }
        }
        return expanded
    }

    /// Runs git with `arguments`; returns its exit status and its standard output, trimmed (standard error is
    /// appended only when git fails, for the message). git never prompts: a missing credential is an error.
    package func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var environment = self.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["LC_ALL"] = "C"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-git-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw EnvironmentError("could not run git: \(error). Install git (apt-get install git).") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if process.terminationStatus != 0, let failure = FileManager.default.contents(atPath: errors.path) {
            text += (text.isEmpty ? "" : "\n") + String(decoding: failure, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return (process.terminationStatus, text)
    }
}
