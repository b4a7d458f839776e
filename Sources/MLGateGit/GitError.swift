internal import CGit2
public import MLGateCore

/// A failure reported by libgit2, with the function that failed, libgit2's own code, class and
/// message, and a plain-language reason for the cases users meet in practice.
public struct GitError: MLGateError, Equatable {
    /// Why the operation failed, as far as mlgate can tell.
    public enum Reason: Sendable, Equatable {
        /// The path is not inside a git repository.
        case notARepository(path: String)
        /// The repository uses the SHA-256 object format, which libgit2 1.5 cannot read.
        case unsupportedObjectFormat
        /// git's ownership check (`safe.directory`) refused the repository.
        case unsafeOwnership(path: String)
        /// The repository has no working tree.
        case bareRepository
        /// A revision, reference or object does not exist.
        case notFound(what: String)
        /// Anything else libgit2 reported.
        case other
    }

    /// The plain-language reason.
    public var reason: Reason
    /// libgit2's return code (`GIT_ENOTFOUND` is -3, …).
    public var code: Int32
    /// libgit2's error class (`GIT_ERROR_REPOSITORY`, …), or 0.
    public var errorClass: Int32
    /// libgit2's message, verbatim.
    public var message: String
    /// The libgit2 function that failed.
    public var function: String

    /// Creates an error with an explicit reason.
    public init(reason: Reason, code: Int32 = -1, errorClass: Int32 = 0, message: String = "", function: String = "") {
        self.reason = reason
        self.code = code
        self.errorClass = errorClass
        self.message = message
        self.function = function
    }

    /// libgit2's code for a name it refuses (`GIT_EINVALIDSPEC`): retrying never helps.
    public static let invalidSpec: Int32 = -12

    /// Captures libgit2's last error after `function` returned `code`.
    static func last(_ code: Int32, _ function: String, reason: Reason = .other) -> GitError {
        var errorClass: Int32 = 0
        var message = "unknown libgit2 error"
        if let last = git_error_last() {
            errorClass = last.pointee.klass
            if let text = last.pointee.message { message = String(cString: text) }
        }
        return GitError(reason: reason, code: code, errorClass: errorClass, message: message, function: function)
    }

    public var category: FailureCategory {
        switch reason {
        case .notARepository, .unsupportedObjectFormat, .unsafeOwnership, .bareRepository, .notFound: .invalidInput
        case .other: .environment
        }
    }

    public var description: String {
        switch reason {
        case .notARepository(let path):
            "not a git repository (or any parent up to /): \(path)\nRun mlgate inside a git repository, or create one with 'git init'."
        case .unsupportedObjectFormat:
            "this repository uses git's SHA-256 object format, which libgit2 1.5 (the git library mlgate uses) cannot read.\nmlgate supports SHA-1 repositories only; nothing was changed."
        case .unsafeOwnership(let path):
            "git refused to open \(path): the repository is owned by another user (git's safe.directory check).\nIf you trust it, run: git config --global --add safe.directory \(path)"
        case .bareRepository:
            "this is a bare repository: mlgate needs a working tree (run it in a clone with a checkout)."
        case .notFound(let what):
            "\(what) not found in this repository."
        case .other:
            "git operation failed: \(function): \(message) (libgit2 code \(code), class \(errorClass))"
        }
    }
}

/// Runs a libgit2 call and throws its last error when it returns a negative code.
@inline(__always)
func check(_ code: Int32, _ function: String) throws(GitError) {
    if code < 0 { throw GitError.last(code, function) }
}
