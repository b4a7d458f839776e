import MLGateCore
import MLGateTestSupport
import Testing

@Suite("registry tags, git's ref-name rules and the sync's replay")
struct RegistryReplayTests {
    @Test("RefName agrees with git check-ref-format on names that break each rule, and on good ones")
    func refNamesAgreeWithGit() throws {
        let names = ["refs/tags/churn@v1.0.0", "refs/tags/churn#production#3", "refs/tags/churn#production!#4", "refs/tags/a..b",
                     "refs/tags/a.", "refs/tags/a.lock", "refs/tags/.a", "refs/tags/a b", "refs/tags/a~1", "refs/tags/a^", "refs/tags/a:b",
                     "refs/tags/a?", "refs/tags/a*", "refs/tags/a[", "refs/tags/a\\b", "refs/tags/a@{1}", "refs//tags/a", "refs/tags/a/",
                     "/refs/tags/a", "@", "refs/tags/a\u{7F}", "refs/tags/a\u{01}", "onelevel", "refs/tags/x.lock/y", "refs/tags/@", "refs/tags/é"]
        for name in names {
            let git = try runProcess("/usr/bin/git", ["check-ref-format", name], in: "/", environment: ["PATH": "/usr/bin:/bin"])
            #expect(RefName.isValid(name) == (git.status == 0), "\(name): git says \(git.status == 0 ? "valid" : "invalid"), problem \(RefName.problem(name) ?? "none")")
        }
    }

    @Test("model and alias names follow git's rules too")
    func namesFollowGit() {
        for bad in ["a..b", "a.", "a.lock", ".a", "-a", "a b", "a/b"] {
            #expect(throws: RegistryError.self, "\(bad)") { try ModelURI.validateName(bad) }
        }
        for good in ["churn", "churn.v2", "a-b_c", "Z9"] {
            #expect(throws: Never.self, "\(good)") { try ModelURI.validateName(good) }
        }
        #expect(throws: RegistryError.self) { try ModelURI.validateAlias("best..") }
        #expect(!ModelURI.isValidStage("prod..uction"))
    }

    @Test("tag names round-trip; other tags and non-canonical spellings are not registry tags")
    func tagGrammar() {
        let tags: [RegistryTag] = [.version(model: "churn", number: 3), .deregistration(model: "churn", number: 3),
                                   .stage(model: "churn", stage: "production", counter: 7), .unstage(model: "churn", stage: "staging", counter: 8)]
        for tag in tags { #expect(RegistryTag(parsing: tag.name) == tag) }
        for other in ["v1.0.0", "churn@v03.0.0", "churn@v3.1.0", "churn@v0.0.0", "churn#production", "churn#prod#0", "a..b@v1.0.0", "churn#st.age#1"] {
            #expect(RegistryTag(parsing: other) == nil, "\(other)")
        }
        #expect(RegistryTag.written(action: "promote", model: "m", version: 2, counter: 5, stageBefore: "staging", stageAfter: "production")
                    == [.unstage(model: "m", stage: "staging", counter: 5), .stage(model: "m", stage: "production", counter: 6)])
    }

    @Test("a message must agree with its tag: model, number, action, stage, event, a hash for an artifact")
    func messagesMatchTheirTags() {
        let hash = String(repeating: "a", count: 64)
        let version = RegistryTag.version(model: "m", number: 2)
        #expect(RegistryMessage(action: "register", model: "m", version: 2, artifact: hash).problem(for: version) == nil)
        #expect(RegistryMessage(action: "register", model: "other", version: 2, artifact: hash).problem(for: version)?.contains("model 'other'") == true)
        #expect(RegistryMessage(action: "register", model: "m", version: 3, artifact: hash).problem(for: version)?.contains("version 3") == true)
        #expect(RegistryMessage(action: "register", model: "m", version: 2, artifact: "../../etc/passwd").problem(for: version)?.contains("SHA-256") == true)
        #expect(RegistryMessage(action: "promote", model: "m", version: 2, artifact: hash).problem(for: version) != nil)
        let stage = RegistryTag.stage(model: "m", stage: "production", counter: 4)
        #expect(RegistryMessage(action: "promote", model: "m", version: 2, stage: "production", event: 4).problem(for: stage) == nil)
        #expect(RegistryMessage(action: "promote", model: "m", version: 2, stage: "staging", event: 4).problem(for: stage) != nil)
        #expect(RegistryMessage(action: "promote", model: "m", version: 2, stage: "production", event: 9).problem(for: stage) != nil)
    }

    /// A replay over `tags` with version 1 gated by a checked verdict.
    private func replay(_ tags: [FoundTag], approvals: [String: Set<String>] = [:], local: [String: Int] = [:], signatures: Bool = false) -> RegistryReplay.Result {
        let lifecycle = LifecycleSpec(stages: ["staging", "production"], requirements: ["production": StageRequirement(gate: true, approvals: 1)])
        return RegistryReplay(tags: tags, known: [:], localTags: local, verdicts: [digest: CheckedVerdict(model: "m", artifact: artifact, passed: true)],
                              approvals: approvals, requireSignatures: signatures) { _ in lifecycle }.run()
    }
    private let artifact = String(repeating: "a", count: 64)
    private let digest = String(repeating: "d", count: 64)
    private let commit = String(repeating: "c", count: 40)

    private func registration(_ number: Int, gated: Bool = true) -> FoundTag {
        FoundTag(tag: .version(model: "m", number: number), commit: commit,
                 message: RegistryMessage(action: "register", model: "m", version: number, artifact: artifact, gatePassed: gated ? true : nil,
                                          verdictDigest: gated ? digest : nil))
    }
    private func move(_ tag: RegistryTag, version: Int, action: String = "promote", signature: SignatureCheck = .notChecked) -> FoundTag {
        FoundTag(tag: tag, commit: commit, message: RegistryMessage(action: action, model: "m", version: version, stage: tag.stage, event: tag.counter),
                 signature: signature)
    }

    @Test("stage events replay in order under the lifecycle: one stage at a time, approvals, one version per stage, moves")
    func replayFollowsTheLifecycle() {
        let tags = [registration(1), registration(2), move(.stage(model: "m", stage: "staging", counter: 1), version: 1),
                    move(.stage(model: "m", stage: "production", counter: 2), version: 2),  // skips staging
                    move(.stage(model: "m", stage: "staging", counter: 3), version: 2),     // staging is held by 1
                    move(.unstage(model: "m", stage: "staging", counter: 4), version: 1),
                    move(.stage(model: "m", stage: "production", counter: 5), version: 1)]  // needs an approval
        let refused = replay(tags)
        // Version 1 left staging (event 4) and was refused production (event 5): it holds no stage.
        #expect(refused.stages == [:], "\(refused.stages)")
        #expect(Set(refused.rejected.map(\.name)) == ["m#production#2", "m#staging#3", "m#production#5"], "\(refused.rejected)")
        let approved = replay(tags, approvals: ["m/1/production": ["ada"]])
        #expect(approved.stages == ["m/1": "production"], "\(approved.stages)")
        #expect(approved.highestEvent["m"] == 5 && approved.highestVersion["m"] == 2)
    }

    @Test("a gate counts only through a checked verdict; forced moves need a signature; this store's own tags stand")
    func evidenceAndSignatures() {
        let forced = move(.stage(model: "m", stage: "staging", counter: 1), version: 1, action: "promote-forced")
        #expect(replay([registration(1), forced]).rejected.map(\.name) == ["m#staging#1"])
        #expect(replay([registration(1), forced], local: ["m#staging#1": 1]).stages == ["m/1": "staging"])
        let signed = move(.stage(model: "m", stage: "staging", counter: 1), version: 1, action: "promote-forced", signature: .verified)
        var signedRegistration = registration(1)
        signedRegistration.signature = .verified
        #expect(replay([signedRegistration, signed], signatures: true).stages == ["m/1": "staging"])
        var unsigned = registration(1)
        unsigned.signature = .unverified("no signature found")
        #expect(replay([unsigned], signatures: true).rejected.first?.reason.contains("no good signature") == true)
        // A digest whose verdict is not there: the version comes in without a gate (said in a note), so it cannot enter
        // a stage that needs one; a verdict that judged another artifact refuses the tag.
        var orphan = registration(2)
        orphan.message?.verdictDigest = String(repeating: "0", count: 64)
        let orphaned = replay([orphan, move(.stage(model: "m", stage: "staging", counter: 1), version: 2),
                               move(.unstage(model: "m", stage: "staging", counter: 2), version: 2),
                               move(.stage(model: "m", stage: "production", counter: 3), version: 2)], approvals: ["m/2/production": ["ada"]])
        #expect(orphaned.rejected.map(\.name) == ["m#production#3"] && orphaned.notes.first?.reason.contains("does not travel") == true)
        #expect(orphaned.versions.first?.gatePassed == nil)
        var foreign = registration(3)
        foreign.message?.artifact = String(repeating: "b", count: 64)
        #expect(replay([foreign]).rejected.first?.reason.contains("not this version's artifact") == true)
        // Numbers past any real registry are not registry tags at all (nothing to overflow on).
        #expect(RegistryTag(parsing: "m@v9223372036854775807.0.0") == nil && RegistryTag(parsing: "m#staging#9223372036854775807") == nil)
    }
}
